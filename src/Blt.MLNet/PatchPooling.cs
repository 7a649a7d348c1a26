using static TorchSharp.torch;

namespace MLNetExt.Blt;

/// <summary>
/// Max-pools each patch's bytes in O(bytes × width): the patches of one length are gathered into a single
/// (n, length, D) block and reduced with amax, so the work is a few ops per distinct patch length (at most √(2S) of
/// them for S bytes), each touching only real bytes. Padding bytes belong to no patch and are never read; placeholder
/// patches (a row with fewer patches than the widest) pool to zeros.
/// </summary>
sealed class PatchPooling
{
    readonly List<(int Length, long[] Bytes)> groups;   // per distinct length: flat byte positions, n × length
    readonly long[] slots;                              // (Rows × NumPatches): row of the concatenated group outputs, or the zero row

    public int Rows { get; }
    public int NumPatches { get; }
    /// <summary>Bytes the pooling reads: the batch's document bytes, never its padding.</summary>
    public long PooledBytes => groups.Sum(g => (long)g.Bytes.Length);
    /// <summary>Gather-and-reduce steps per pooling: one per distinct patch length.</summary>
    public int Steps => groups.Count;

    PatchPooling(int rows, int numPatches, int length, IReadOnlyList<int[]> patchLengths)
    {
        (Rows, NumPatches) = (rows, numPatches);
        var byLength = new SortedDictionary<int, List<(int Row, int Patch, int Start)>>();
        for (int r = 0; r < rows; r++)
        {
            int start = 0;
            for (int p = 0; p < patchLengths[r].Length; p++)
            {
                int len = patchLengths[r][p];
                if (!byLength.TryGetValue(len, out var list)) byLength[len] = list = [];
                list.Add((r, p, (r * length) + start));
                start += len;
            }
        }
        int zeroRow = byLength.Values.Sum(l => l.Count);
        slots = Enumerable.Repeat((long)zeroRow, rows * numPatches).ToArray();
        groups = [];
        int next = 0;
        foreach (var (len, patches) in byLength)
        {
            var bytes = new long[patches.Count * len];
            for (int i = 0; i < patches.Count; i++)
            {
                for (int j = 0; j < len; j++) bytes[(i * len) + j] = patches[i].Start + j;
                slots[(patches[i].Row * numPatches) + patches[i].Patch] = next++;
            }
            groups.Add((len, bytes));
        }
    }

    /// <summary>The pooling of a patch layout's real patches.</summary>
    public static PatchPooling Of(PatchLayout layout) => new(layout.Rows, layout.NumPatches, layout.Length, layout.PatchLengths);

    /// <summary>One row whose <paramref name="length"/> bytes are one patch (incremental generation).</summary>
    public static PatchPooling OnePatch(int length) => new(1, 1, length, [[length]]);

    /// <summary>Byte states (Rows, S, D) to the max over each patch's bytes (Rows, NumPatches, D).</summary>
    public Tensor Pool(Tensor bytes)
    {
        long d = bytes.shape[2];
        var flat = bytes.reshape(-1, d);                                                            // (Rows·S, D)
        var pooled = new List<Tensor>(groups.Count + 1);
        foreach (var (len, positions) in groups)
            pooled.Add(flat.index_select(0, tensor(positions, device: bytes.device)).view(-1, len, d).amax([1]));   // (n, D)
        pooled.Add(zeros(1, d, dtype: bytes.dtype, device: bytes.device));
        return cat(pooled, 0).index_select(0, tensor(slots, device: bytes.device)).view(Rows, NumPatches, d);
    }
}
