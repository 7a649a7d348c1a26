namespace MLNetExt.ModernBert.Tokenization;

/// <summary>
/// The vocabulary's tokens as a byte trie, for <see cref="LongWordBpe"/>: which tokens could cover a given byte of a
/// word. Built on first use, since only words hundreds of bytes long need it.
/// </summary>
internal sealed class TokenTrie
{
    readonly Dictionary<long, int> _children = [];
    readonly List<bool> _isToken = [false];
    readonly List<bool> _hasChildren = [false];
    readonly int[] _longestFrom = new int[256];

    public TokenTrie(IEnumerable<string> tokens)
    {
        var bytes = new List<byte>();
        foreach (string token in tokens)
        {
            bytes.Clear();
            ByteLevelAlphabet.AppendBytes(token, bytes);
            if (bytes.Count == 0) continue;
            int node = 0;
            foreach (byte b in bytes)
            {
                if (!_children.TryGetValue(Key(node, b), out int child))
                {
                    child = _isToken.Count;
                    _children[Key(node, b)] = child;
                    _isToken.Add(false);
                    _hasChildren.Add(false);
                    _hasChildren[node] = true;
                }
                node = child;
            }
            _isToken[node] = true;
            _longestFrom[bytes[0]] = Math.Max(_longestFrom[bytes[0]], bytes.Count);
            LongestToken = Math.Max(LongestToken, bytes.Count);
        }
    }

    /// <summary>Bytes in the longest token.</summary>
    public int LongestToken { get; }

    /// <summary>
    /// Every end <c>e &gt; cut</c> of a token <c>word[s..e)</c> with <c>from &lt;= s &lt;= cut</c>, plus <c>cut + 1</c> (a lone
    /// byte is always a symbol), into <paramref name="ends"/>, ascending. False when <paramref name="word"/> is only the
    /// known start of a word and a token might run past its end.
    /// </summary>
    public bool EndsOfTokensCovering(ReadOnlySpan<byte> word, int from, int cut, bool complete, List<int> ends)
    {
        ends.Clear();
        ends.Add(cut + 1);
        for (int s = Math.Max(from, cut - LongestToken + 1); s <= cut; s++)
        {
            if (s + _longestFrom[word[s]] <= cut) continue;
            int node = 0;
            for (int i = s; ; i++)
            {
                if (i == word.Length)
                {
                    if (!complete && _hasChildren[node]) return false;
                    break;
                }
                if (!_children.TryGetValue(Key(node, word[i]), out node)) break;
                if (i + 1 > cut + 1 && _isToken[node]) ends.Add(i + 1);
            }
        }
        ends.Sort();
        int distinct = 0;
        for (int i = 0; i < ends.Count; i++)
            if (i == 0 || ends[i] != ends[distinct - 1]) ends[distinct++] = ends[i];
        ends.RemoveRange(distinct, ends.Count - distinct);
        return true;
    }

    static long Key(int node, byte b) => (long)node << 8 | b;
}
