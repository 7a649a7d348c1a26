using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.ModernBert;

/// <summary>
/// How one kind of attention (global or local) runs over a packed batch of T tokens, built once per batch and
/// shared by every layer of that kind. Tokens are gathered into a few dense rectangles ("groups") that
/// scaled-dot-product attention can run on, then scattered back to packed order; a sequence never sees another.
/// Padding slots of a rectangle gather their own sequence's first token: they are masked as keys and dropped as
/// queries, so their content never matters, and q, k, v need no extra pad row (a full copy per layer).
/// </summary>
public sealed class AttentionPlan : IDisposable
{
    /// <summary>
    /// One SDPA call: <c>Count</c> rows of <c>QueryLength</c> queries over <c>KeyLength</c> keys. A null index means
    /// "all T packed tokens in order" (e.g. equal-length sequences): the rectangle is then a view, not a copy.
    /// </summary>
    sealed record Group(Tensor? QueryIndex, Tensor? KeyIndex, Tensor? Mask, long Count, long QueryLength, long KeyLength);

    readonly List<Group> groups;
    readonly Tensor? outputIndex; // [T]: where each packed token's output sits in the concatenated group outputs; null = same order

    AttentionPlan(List<Group> groups, Tensor? outputIndex)
    {
        this.groups = groups;
        this.outputIndex = outputIndex;
    }

    /// <summary>Number of SDPA calls per layer (for tests and benchmarks).</summary>
    public int GroupCount => groups.Count;

    /// <summary>Attention per sequence. q, k, v: [T, heads, headDim] (rotary already applied). Returns [T, heads, headDim].</summary>
    public Tensor Attend(Tensor q, Tensor k, Tensor v, double dropout)
    {
        var outputs = new List<Tensor>(groups.Count);
        foreach (var g in groups)
        {
            var qg = Rect(q, g.QueryIndex, g.Count, g.QueryLength); // [n, nh, Lq, hd]
            var kg = Rect(k, g.KeyIndex, g.Count, g.KeyLength);     // [n, nh, Lk, hd]
            var vg = Rect(v, g.KeyIndex, g.Count, g.KeyLength);
            var o = nn.functional.scaled_dot_product_attention(qg, kg, vg, g.Mask, dropout);
            outputs.Add(o.transpose(1, 2).reshape(g.Count * g.QueryLength, q.shape[1], q.shape[2])); // [n * Lq, nh, hd]
        }
        var all = outputs.Count == 1 ? outputs[0] : cat(outputs);
        return outputIndex is null ? all : all.index_select(0, outputIndex);
    }

    static Tensor Rect(Tensor x, Tensor? index, long n, long len) =>
        (index is null ? x : x.index_select(0, index)).view(n, len, x.shape[1], x.shape[2]).transpose(1, 2);

    /// <summary>
    /// Global attention: sequences sorted by length and bucketed so each bucket pads to at most
    /// <paramref name="bucketRatio"/> times a member's length; cost ~ sum of len², one SDPA call per bucket.
    /// </summary>
    public static AttentionPlan Global(int[] offsets, Device device, double bucketRatio = 1.25)
    {
        var lengths = Lengths(offsets);
        var order = Enumerable.Range(0, lengths.Length).OrderByDescending(i => lengths[i]).ThenBy(i => i).ToArray();
        var builder = new Builder(offsets[^1], device);
        for (int start = 0; start < order.Length;)
        {
            int width = lengths[order[start]];
            int end = start + 1;
            while (end < order.Length && lengths[order[end]] * bucketRatio >= width) end++;
            builder.AddFullGroup(order[start..end], offsets, width);
            start = end;
        }
        return builder.Build();
    }

    /// <summary>
    /// Local attention (|i - j| &lt;= <paramref name="halfWindow"/>): each sequence is cut into blocks of
    /// halfWindow queries that see only their own and the two neighbouring key blocks (3 x halfWindow keys)
    /// under a band mask; cost ~ T x 3 x halfWindow. Sequences short enough to sit inside one window use the
    /// global plan's buckets, where the band is the whole sequence.
    /// </summary>
    public static AttentionPlan Local(int[] offsets, int halfWindow, Device device, double bucketRatio = 1.25)
    {
        var lengths = Lengths(offsets);
        var builder = new Builder(offsets[^1], device);
        var shortSeqs = Enumerable.Range(0, lengths.Length).Where(i => lengths[i] <= halfWindow + 1)
            .OrderByDescending(i => lengths[i]).ThenBy(i => i).ToArray();
        for (int start = 0; start < shortSeqs.Length;)
        {
            int width = lengths[shortSeqs[start]];
            int end = start + 1;
            while (end < shortSeqs.Length && lengths[shortSeqs[end]] * bucketRatio >= width) end++;
            builder.AddFullGroup(shortSeqs[start..end], offsets, width);
            start = end;
        }
        var longSeqs = Enumerable.Range(0, lengths.Length).Where(i => lengths[i] > halfWindow + 1).ToArray();
        if (longSeqs.Length > 0) builder.AddBandGroup(longSeqs, offsets, halfWindow);
        return builder.Build();
    }

    static int[] Lengths(int[] offsets) => Enumerable.Range(0, offsets.Length - 1).Select(i => offsets[i + 1] - offsets[i]).ToArray();

    public void Dispose()
    {
        foreach (var g in groups) { g.QueryIndex?.Dispose(); g.KeyIndex?.Dispose(); g.Mask?.Dispose(); }
        outputIndex?.Dispose();
    }

    /// <summary>Collects gather indices on the CPU, then moves each group to the device once.</summary>
    sealed class Builder(int tokenCount, Device device)
    {
        readonly List<Group> groups = [];
        readonly long[] outputIndex = new long[tokenCount];
        long rowsSoFar; // rows of all groups' outputs before the next group

        /// <summary>Sequences padded to <paramref name="width"/>; keys masked only when some sequence is shorter.</summary>
        public void AddFullGroup(int[] seqs, int[] offsets, int width)
        {
            var index = new long[seqs.Length * width];
            bool ragged = false;
            var keyMask = new bool[seqs.Length * width];
            for (int r = 0; r < seqs.Length; r++)
            {
                int s = seqs[r], len = offsets[s + 1] - offsets[s];
                ragged |= len < width;
                for (int p = 0; p < width; p++)
                {
                    index[r * width + p] = offsets[s] + (p < len ? p : 0);
                    keyMask[r * width + p] = p < len;
                    if (p < len) outputIndex[offsets[s] + p] = rowsSoFar + r * width + p;
                }
            }
            var idx = Index(index, tokenCount);
            // [n, 1, 1, Lk]: broadcast over heads and queries; padded query rows still see real keys, so no NaN.
            var mask = ragged ? tensor(keyMask, device: device).view(seqs.Length, 1, 1, width) : null;
            groups.Add(new Group(idx, idx, mask, seqs.Length, width, width));
            rowsSoFar += (long)seqs.Length * width;
        }

        /// <summary>All long sequences' blocks in one group: [blocks, half] queries over [blocks, 3 * half] keys.</summary>
        public void AddBandGroup(int[] seqs, int[] offsets, int half)
        {
            var blockSeq = new List<(int Seq, int Block)>();
            foreach (int s in seqs)
                for (int b = 0; b * half < offsets[s + 1] - offsets[s]; b++) blockSeq.Add((s, b));
            int n = blockSeq.Count, keys = 3 * half;
            var qIndex = new long[n * half];
            var kIndex = new long[n * keys];
            var mask = new bool[n * half * keys];
            for (int r = 0; r < n; r++)
            {
                var (s, b) = blockSeq[r];
                int len = offsets[s + 1] - offsets[s];
                for (int p = 0; p < half; p++)
                {
                    int pos = b * half + p;
                    qIndex[r * half + p] = offsets[s] + (pos < len ? pos : 0);
                    if (pos < len) outputIndex[offsets[s] + pos] = rowsSoFar + r * half + p;
                }
                for (int kp = 0; kp < keys; kp++)
                {
                    int kpos = (b - 1) * half + kp;
                    bool real = kpos >= 0 && kpos < len;
                    kIndex[r * keys + kp] = offsets[s] + (real ? kpos : 0);
                    // A padded query (pos >= len) still has the sequence's last token within the band: no empty rows.
                    for (int p = 0; p < half; p++)
                        mask[(r * half + p) * keys + kp] = real && Math.Abs(b * half + p - kpos) <= half;
                }
            }
            groups.Add(new Group(Index(qIndex, tokenCount), Index(kIndex, tokenCount),
                tensor(mask, device: device).view(n, 1, half, keys), n, half, keys));
            rowsSoFar += (long)n * half;
        }

        public AttentionPlan Build() => new(groups, Index(outputIndex, rowsSoFar));

        /// <summary>The index on the device, or null when it picks every row of a <paramref name="sourceRows"/>-row tensor in order: gathering would only copy.</summary>
        Tensor? Index(long[] index, long sourceRows)
        {
            bool identity = index.Length == sourceRows;
            for (int i = 0; identity && i < index.Length; i++) identity = index[i] == i;
            return identity ? null : tensor(index, device: device);
        }
    }
}
