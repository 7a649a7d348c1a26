namespace MLNetExt.ModernBert.Tokenization;

/// <summary>
/// Hugging Face's BPE merge loop (tokenizers' <c>Word::merge_all</c>) on one word's byte symbols, in O(n log n): a
/// heap of candidate merges ordered by (rank, position). A popped candidate is applied when the pair now at its
/// position still merges into the same token, exactly the staleness rule there, so ids agree even for vocabularies
/// where two different merges make one token. Thread-safe: scratch buffers are per thread.
/// </summary>
internal sealed class BpeMerges
{
    readonly Dictionary<long, (int Rank, int NewId)> _merges = new(PairComparer.Instance);
    readonly int[] _byteIds = new int[256];
    // A thread keeps scratch for words up to this many bytes; a longer one (only a huge word's last resort) frees its own.
    const int KeptScratchSymbols = 1 << 16;

    [ThreadStatic] static Scratch? t_scratch;

    public BpeMerges(TokenizerDefinition definition)
    {
        var vocab = definition.Vocab;
        Span<byte> one = stackalloc byte[1];
        for (int b = 0; b < 256; b++)
        {
            one[0] = (byte)b;
            _byteIds[b] = vocab.TryGetValue(ByteLevelAlphabet.Encode(one), out int id) ? id : -1;
        }
        TokenBytes = new int[vocab.Values.Max() + 1];
        foreach (var (token, id) in vocab) TokenBytes[id] = token.Length;
        // Like Hugging Face's merge map, a pair listed twice keeps its last rank.
        for (int rank = 0; rank < definition.Merges.Count; rank++)
        {
            var (left, right) = definition.Merges[rank];
            _merges[Key(vocab[left], vocab[right])] = (rank, vocab[left + right]);
        }
    }

    /// <summary>Bytes of each vocabulary token (a byte-level token has one character per byte).</summary>
    public int[] TokenBytes { get; }

    /// <summary>
    /// The id of a single byte's token: the symbol BPE starts from. Vocabularies may lack bytes that UTF-8 never
    /// holds (C0, C1, F5-FF; GPT-NeoX does), and text reaching BPE is always valid UTF-8.
    /// </summary>
    public int ByteId(byte b) => _byteIds[b];

    /// <summary>Appends the ids BPE makes of <paramref name="symbols"/> (one byte id per byte of a word).</summary>
    public void Merge(ReadOnlySpan<int> symbols, List<int> output)
    {
        int n = symbols.Length;
        if (n <= 1)
        {
            if (n == 1) output.Add(symbols[0]);
            return;
        }
        var s = n > KeptScratchSymbols ? new Scratch() : t_scratch ??= new Scratch();
        s.Reserve(n);
        int[] ids = s.Ids, prev = s.Prev, next = s.Next;
        var queue = s.Queue;
        queue.Clear();
        for (int i = 0; i < n; i++)
        {
            ids[i] = symbols[i];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        for (int i = 0; i + 1 < n; i++) Push(queue, i, ids[i], ids[i + 1]);

        while (queue.TryDequeue(out long entry, out _))
        {
            int pos = (int)(entry >> 32), newId = (int)entry;
            int right = next[pos];
            if (ids[pos] < 0 || right < 0) continue;
            if (!_merges.TryGetValue(Key(ids[pos], ids[right]), out var merge) || merge.NewId != newId) continue;

            ids[pos] = newId;
            ids[right] = -1;
            int after = next[right];
            next[pos] = after;
            if (after >= 0) prev[after] = pos;
            if (prev[pos] >= 0) Push(queue, prev[pos], ids[prev[pos]], newId);
            if (after >= 0) Push(queue, pos, newId, ids[after]);
        }
        for (int i = 0; i >= 0; i = next[i]) output.Add(ids[i]);
    }

    void Push(PriorityQueue<long, long> queue, int pos, int left, int right)
    {
        if (_merges.TryGetValue(Key(left, right), out var merge))
            queue.Enqueue((long)pos << 32 | (uint)merge.NewId, (long)merge.Rank << 32 | (uint)pos);
    }

    static long Key(int left, int right) => (long)left << 32 | (uint)right;

    // long's own hash is left ^ right: token pairs of a vocabulary collide by the thousand under it.
    sealed class PairComparer : IEqualityComparer<long>
    {
        public static readonly PairComparer Instance = new();
        public bool Equals(long x, long y) => x == y;
        public int GetHashCode(long key) => (int)((ulong)(key * unchecked((long)0x9E3779B97F4A7C15)) >> 32);
    }

    sealed class Scratch
    {
        public int[] Ids = [], Prev = [], Next = [];
        public readonly PriorityQueue<long, long> Queue = new();

        public void Reserve(int n)
        {
            if (Ids.Length >= n) return;
            int size = Math.Max(n, Ids.Length * 2);
            (Ids, Prev, Next) = (new int[size], new int[size], new int[size]);
        }
    }
}
