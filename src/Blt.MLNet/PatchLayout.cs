using MLNetExt.Blt.Modules;
using MLNetExt.Blt.Patching;

namespace MLNetExt.Blt;

/// <summary>
/// Where the patches of a batch are. Patches are numbered per row, documents in order, so a row has
/// <see cref="PatchCounts"/>[row] patches and <see cref="NumPatches"/> is the widest row (shorter rows' tail patches
/// are empty placeholders no real patch can see). Padding bytes belong to no patch (patch id -1), so padding costs
/// the pooling and the latent model nothing.
/// <see cref="DecoderPatchIds"/>[t] is the last patch that ends before the patch of byte t + 1 (the byte predicted at
/// t): patch lengths [1, 3, 1, 1] give encoder ids 0,1,1,1,2,3 and decoder ids 0,0,0,1,2,(2 or 3); the last one is 3
/// only when the byte after the document would open a new patch, i.e. when patch 3 is already complete.
/// </summary>
public sealed class PatchLayout
{
    /// <summary>The patch id of padding bytes: they belong to no patch and no decoder patch.</summary>
    public const long NoPatch = -1;

    public int Rows { get; }
    public int Length { get; }
    public int NumPatches { get; }
    public int[] PatchCounts { get; }
    /// <summary>(Rows × Length) encoder patch id of each byte (<see cref="NoPatch"/> for padding).</summary>
    public long[] PatchIds { get; }
    /// <summary>(Rows × Length) patch whose latent state the decoder reads at each byte (<see cref="NoPatch"/> for padding).</summary>
    public long[] DecoderPatchIds { get; }
    /// <summary>(Rows × NumPatches) document of each patch (-1 for placeholders).</summary>
    public long[] PatchDocIds { get; }
    /// <summary>(Rows × NumPatches) index of the patch inside its document (its RoPE position in the latent model).</summary>
    public long[] PatchPositions { get; }
    /// <summary>Patch lengths per row, in order; they sum to the row's document bytes (padding excluded).</summary>
    public IReadOnlyList<int[]> PatchLengths { get; }

    /// <summary>
    /// Patches <paramref name="batch"/>: entropies from <paramref name="entropyModel"/> when the patcher needs them, then
    /// start flags per document. Padding forms no patch.
    /// </summary>
    public static PatchLayout Create(BltBatch batch, Patcher patcher, EntropyModel? entropyModel)
    {
        float[] entropies = [];
        if (patcher.NeedsEntropies)
        {
            var model = entropyModel ?? throw new InvalidOperationException($"{patcher.Mode} patching needs the entropy model (patch_in_forward).");
            using var h = model.Entropies(batch);
            entropies = h.cpu().data<float>().ToArray();
        }
        var starts = new List<bool[]>[batch.Rows];
        for (int r = 0; r < batch.Rows; r++)
        {
            starts[r] = [];
            foreach (var (start, length, _) in batch.Segments[r].Where(s => !s.IsPadding))
            {
                int at = (r * batch.Length) + start;
                starts[r].Add(patcher.PatchStarts(batch.Inputs.AsSpan(at, length), entropies.Length == 0 ? [] : entropies.AsSpan(at, length)));
            }
        }
        return new PatchLayout(batch, starts);
    }

    /// <param name="batch">the batch being patched</param>
    /// <param name="starts">per row, per document (padding excluded): length + 1 start flags (see <see cref="Patching.Patcher.PatchStarts"/>)</param>
    public PatchLayout(BltBatch batch, IReadOnlyList<IReadOnlyList<bool[]>> starts)
    {
        (Rows, Length) = (batch.Rows, batch.Length);
        if (starts.Count != Rows) throw new ArgumentException($"Expected start flags for {Rows} rows, got {starts.Count}.", nameof(starts));
        PatchIds = new long[Rows * Length];
        DecoderPatchIds = new long[Rows * Length];
        PatchCounts = new int[Rows];
        var docOfPatch = new List<long>[Rows];
        var lengths = new int[Rows][];
        for (int r = 0; r < Rows; r++)
        {
            docOfPatch[r] = [];
            var rowLengths = new List<int>();
            var documents = batch.Segments[r].Where(s => !s.IsPadding).ToArray();
            if (starts[r].Count != documents.Length)
                throw new ArgumentException($"Row {r} holds {documents.Length} documents but {starts[r].Count} start-flag arrays were given.", nameof(starts));
            for (int d = 0; d < documents.Length; d++)
            {
                var (start, len, _) = documents[d];
                var flags = starts[r][d];
                if (flags.Length != len + 1 || !flags[0])
                    throw new ArgumentException($"Row {r}, document {d}: expected {len + 1} start flags beginning with a start, got {flags.Length}.", nameof(starts));
                int first = PatchCounts[r], opened = 0;
                for (int t = 0; t <= len; t++)
                {
                    if (flags[t]) opened++;
                    if (t > 0) DecoderPatchIds[(r * Length) + start + t - 1] = first + opened - 2;
                    if (t == len) break;
                    if (flags[t]) { docOfPatch[r].Add(d); rowLengths.Add(0); }
                    PatchIds[(r * Length) + start + t] = first + opened - 1;
                    rowLengths[^1]++;
                }
                PatchCounts[r] = docOfPatch[r].Count;
            }
            foreach (var padding in batch.Segments[r].Where(s => s.IsPadding))
            {
                PatchIds.AsSpan((r * Length) + padding.Start, padding.Length).Fill(NoPatch);
                DecoderPatchIds.AsSpan((r * Length) + padding.Start, padding.Length).Fill(NoPatch);
            }
            lengths[r] = rowLengths.ToArray();
        }
        NumPatches = Math.Max(1, PatchCounts.Max());
        PatchDocIds = new long[Rows * NumPatches];
        PatchPositions = new long[Rows * NumPatches];
        for (int r = 0; r < Rows; r++)
        {
            for (int p = 0; p < NumPatches; p++)
            {
                bool real = p < PatchCounts[r];
                PatchDocIds[(r * NumPatches) + p] = real ? docOfPatch[r][p] : -1;
                PatchPositions[(r * NumPatches) + p] = p == 0 || PatchDocIds[(r * NumPatches) + p] != PatchDocIds[(r * NumPatches) + p - 1]
                    ? 0 : PatchPositions[(r * NumPatches) + p - 1] + 1;
            }
        }
        PatchLengths = lengths;
    }
}
