using MLNetExt.Training.Packing;
using MLNetExt.Training.Parallel;

namespace MLNetExt.Training.Objectives;

/// <summary>
/// A masked packed batch. <see cref="InputIds"/> is the corrupted input; <see cref="Labels"/> has the original id
/// at selected positions and <see cref="MlmMasking.IgnoreIndex"/> elsewhere; <see cref="LabelPositions"/> and
/// <see cref="LabelIds"/> list just the selected positions, so only those rows need go through the MLM head.
/// </summary>
public sealed record MaskedBatch(PackedBatch Batch, long[] InputIds, long[] Labels, int[] LabelPositions, long[] LabelIds)
{
    /// <summary>Sequences [<paramref name="from"/>, <paramref name="to"/>) with their masking, positions re-based.</summary>
    public MaskedBatch Slice(int from, int to)
    {
        int start = Batch.Offsets[from], end = Batch.Offsets[to];
        var sequences = Enumerable.Range(from, to - from).Select(i => Batch.TokenIds[Batch.Offsets[i]..Batch.Offsets[i + 1]]).ToList();
        var rows = Batch.SourceRows[from..to];
        var keep = Enumerable.Range(0, LabelPositions.Length).Where(k => LabelPositions[k] >= start && LabelPositions[k] < end).ToArray();
        return new MaskedBatch(
            PackedBatch.FromSequences(sequences, rows),
            InputIds[start..end], Labels[start..end],
            keep.Select(k => LabelPositions[k] - start).ToArray(), keep.Select(k => LabelIds[k]).ToArray());
    }

    /// <summary>
    /// Whole sequences into <paramref name="parts"/> shards of nearly equal token count (see <see cref="TokenBalance"/>);
    /// each shard gets at least one sequence.
    /// </summary>
    public IReadOnlyList<MaskedBatch> Split(int parts)
    {
        if (Batch.Count < parts)
            throw new ArgumentException($"The batch has {Batch.Count} sequences, too few for {parts} shards (one per replica); use larger batches or fewer replicas.", nameof(parts));
        var cuts = TokenBalance.Boundaries(Enumerable.Range(0, Batch.Count).Select(Batch.Length).ToArray(), parts);
        return Enumerable.Range(0, parts).Select(k => Slice(cuts[k], cuts[k + 1])).ToArray();
    }
}
