using MLNetExt.Training.Packing;
using MLNetExt.Training.Parallel;

namespace MLNetExt.ModernBert.Training;

/// <summary>
/// Tokenized sequences with one target each (a class id or a regression value), laid out for a packed forward.
/// An empty batch is a replica's shard when there are fewer sequences than replicas.
/// </summary>
public sealed record SequenceBatch(IReadOnlyList<long[]> Sequences, IReadOnlyList<float> Targets)
{
    public long TokenCount => Sequences.Sum(s => (long)s.Length);

    public PackedBatch Pack() => PackedBatch.FromSequences(Sequences);

    /// <summary>Contiguous shards of nearly equal token count, one per replica.</summary>
    public IReadOnlyList<SequenceBatch> Split(int parts)
    {
        var cuts = TokenBalance.Boundaries(Sequences.Select(s => s.Length).ToArray(), parts);
        return Enumerable.Range(0, parts)
            .Select(k => new SequenceBatch(Sequences.Take(cuts[k + 1]).Skip(cuts[k]).ToArray(), Targets.Take(cuts[k + 1]).Skip(cuts[k]).ToArray()))
            .ToArray();
    }

    /// <summary>Groups (sequence, target) pairs into batches of at most <paramref name="tokenBudget"/> tokens (best fit, longest first).</summary>
    public static List<SequenceBatch> Pack(IReadOnlyList<long[]> sequences, IReadOnlyList<float> targets, int tokenBudget) =>
        Packer.BestFit(sequences.Select(s => s.Length).ToArray(), tokenBudget)
            .Select(rows => new SequenceBatch(rows.Select(r => sequences[r]).ToArray(), rows.Select(r => targets[r]).ToArray()))
            .ToList();
}

/// <summary>
/// Tokenized sequences with a label per token (<see cref="MLNetExt.Training.Objectives.MlmMasking.IgnoreIndex"/> where no loss is
/// taken: special tokens, a word's later sub-tokens), for token classification.
/// </summary>
public sealed record TokenBatch(IReadOnlyList<long[]> Sequences, IReadOnlyList<long[]> Labels)
{
    public long TokenCount => Sequences.Sum(s => (long)s.Length);

    public PackedBatch Pack() => PackedBatch.FromSequences(Sequences);

    public IReadOnlyList<TokenBatch> Split(int parts)
    {
        var cuts = TokenBalance.Boundaries(Sequences.Select(s => s.Length).ToArray(), parts);
        return Enumerable.Range(0, parts)
            .Select(k => new TokenBatch(Sequences.Take(cuts[k + 1]).Skip(cuts[k]).ToArray(), Labels.Take(cuts[k + 1]).Skip(cuts[k]).ToArray()))
            .ToArray();
    }

    public static List<TokenBatch> Pack(IReadOnlyList<long[]> sequences, IReadOnlyList<long[]> labels, int tokenBudget) =>
        Packer.BestFit(sequences.Select(s => s.Length).ToArray(), tokenBudget)
            .Select(rows => new TokenBatch(rows.Select(r => sequences[r]).ToArray(), rows.Select(r => labels[r]).ToArray()))
            .ToList();
}
