namespace MLNetExt.ModernBert.Tokenization;

/// <summary>
/// BPE of a word too long to merge in one piece (a megabyte of 'a', CJK or base64 without spaces), chunk by chunk, with
/// ids identical to merging it whole, and able to stop once enough ids are known.
/// <para>
/// Why chunks are exact. Write E(x) for the BPE of bytes x. (1) If E(w) = t1..tn, then for any i &lt;= j,
/// E(bytes of ti..tj) = ti..tj: no merge ever crossed the two outer boundaries, so the merges inside happened in the
/// same order as in a run on that piece alone (each was the lowest (rank, position) candidate overall, hence inside;
/// candidates across a boundary never apply). (2) So for a byte position k of w, let tm be the token of E(w) covering
/// k: E(w) starts with E(w[0..end(tm))), and end(tm) is one of the ends of vocabulary tokens covering k (or k + 1).
/// Hence the ids that E(w[0..e)) share for every such end e are the first ids of E(w); they end at a token boundary
/// b of E(w), after which (1) gives E(w) = those ids + E(w[b..]), and the next chunk starts at b.
/// </para>
/// Each chunk costs a few merges of about <see cref="Chunk"/> bytes (one per candidate end), so a word costs time
/// linear in its bytes. Should no id be common (no vocabulary we know of does this) the chunk doubles, up to merging
/// the rest whole in O(n log n), as Hugging Face does.
/// </summary>
internal sealed class LongWordBpe
{
    /// <summary>Bytes per chunk; shorter rests of a word are merged in one piece.</summary>
    public const int Chunk = 256;
    const int MaxSeenChunks = 256;

    readonly BpeMerges _bpe;
    readonly Lazy<TokenTrie> _trie;

    public LongWordBpe(BpeMerges bpe, IEnumerable<string> vocabulary)
    {
        _bpe = bpe;
        _trie = new(() => new TokenTrie(vocabulary));
    }

    /// <summary>
    /// Appends the ids of <paramref name="word"/>, stopping once <paramref name="output"/> holds
    /// <paramref name="cap"/> ids. When <paramref name="complete"/> is false, <paramref name="word"/> is only the
    /// known start of a longer word, and only ids that no continuation can change are appended. Returns false when
    /// it stopped for want of more of the word; <paramref name="mergedBytes"/> grows by the bytes it merged (its work).
    /// The word is turned into UTF-8 only as far as the chunks reach.
    /// </summary>
    public bool Encode(ReadOnlySpan<char> word, bool complete, List<int> output, int cap, ref long mergedBytes)
    {
        var bytes = new WordBytes(_bpe);
        var ends = new List<int>();
        var common = new List<int>();
        var run = new List<int>();
        // A chunk's ids depend only on its bytes up to the farthest the trie can look: repeated stretches (a line of
        // dashes, one letter repeated) are worked out once.
        var seen = new Dictionary<string, (int[] Ids, int Bytes)>();
        int lookAhead = _trie.Value.LongestToken + 1;
        int start = 0;
        while (output.Count < cap)
        {
            int taken = 0;
            for (int chunk = Chunk; taken == 0; chunk *= 2)
            {
                int cut = start + chunk;
                bytes.Reach(word, cut + Chunk + lookAhead);
                bool whole = complete && bytes.All(word);
                if (start == bytes.Count && whole) return true;
                if (cut >= bytes.Count - Chunk)
                {
                    if (!whole) return false;
                    _bpe.Merge(bytes.Symbols.AsSpan(start, bytes.Count - start), output);
                    mergedBytes += bytes.Count - start;
                    return true;
                }
                var known = bytes.Bytes.AsSpan(0, bytes.Count);
                int seenEnd = Math.Min(known.Length, cut + lookAhead);
                string key = $"{chunk}{(seenEnd == known.Length && whole ? '.' : ':')}{Convert.ToHexString(known[start..seenEnd])}";
                if (seen.TryGetValue(key, out var before))
                {
                    common.Clear();
                    common.AddRange(before.Ids);
                    taken = before.Bytes;
                    continue;
                }
                if (!_trie.Value.EndsOfTokensCovering(known, start, cut, whole, ends)) return false;
                taken = CommonIds(bytes.Symbols, start, ends, common, run, ref mergedBytes);
                if (seen.Count == MaxSeenChunks) seen.Clear();
                seen[key] = ([.. common], taken);
            }
            output.AddRange(common);
            start += taken;
        }
        return true;
    }

    /// <summary>Into <paramref name="common"/>, the ids that the BPE of symbols[start..e) shares for every e; returns their bytes.</summary>
    int CommonIds(int[] symbols, int start, List<int> ends, List<int> common, List<int> run, ref long mergedBytes)
    {
        common.Clear();
        for (int i = 0; i < ends.Count; i++)
        {
            var target = i == 0 ? common : run;
            target.Clear();
            _bpe.Merge(symbols.AsSpan(start, ends[i] - start), target);
            mergedBytes += ends[i] - start;
            int same = 0;
            while (same < common.Count && same < target.Count && common[same] == target[same]) same++;
            common.RemoveRange(same, common.Count - same);
            if (same == 0) return 0;
        }
        int bytes = 0;
        foreach (int id in common) bytes += _bpe.TokenBytes[id];
        return bytes;
    }

    /// <summary>The UTF-8 bytes (and their BPE symbols) of a word's first characters, extended on demand.</summary>
    sealed class WordBytes(BpeMerges bpe)
    {
        const int Step = 4096;
        int _chars;

        public byte[] Bytes { get; private set; } = [];
        public int[] Symbols { get; private set; } = [];
        public int Count { get; private set; }

        public bool All(ReadOnlySpan<char> word) => _chars == word.Length;

        /// <summary>Converts characters until at least <paramref name="count"/> bytes are known, or the word ends.</summary>
        public void Reach(ReadOnlySpan<char> word, int count)
        {
            while (Count < count && _chars < word.Length)
            {
                int take = Math.Min(Math.Max(Step, count - Count), word.Length - _chars);
                if (_chars + take < word.Length && char.IsHighSurrogate(word[_chars + take - 1])) take++;
                var piece = word.Slice(_chars, take);
                int n = System.Text.Encoding.UTF8.GetByteCount(piece);
                if (Count + n > Bytes.Length)
                {
                    int size = Math.Max(Count + n, 2 * Bytes.Length);
                    var (bytes, symbols) = (Bytes, Symbols);
                    Array.Resize(ref bytes, size);
                    Array.Resize(ref symbols, size);
                    (Bytes, Symbols) = (bytes, symbols);
                }
                System.Text.Encoding.UTF8.GetBytes(piece, Bytes.AsSpan(Count));
                for (int i = Count; i < Count + n; i++) Symbols[i] = bpe.ByteId(Bytes[i]);
                Count += n;
                _chars += take;
            }
        }
    }
}
