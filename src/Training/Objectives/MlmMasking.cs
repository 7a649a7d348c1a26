using MLNetExt.Training.Packing;

namespace MLNetExt.Training.Objectives;

/// <summary>Masked-language-model corruption settings (BERT's recipe; ModernBERT masks 30%).</summary>
public sealed record MlmMaskingOptions(
    long MaskTokenId,
    long VocabSize,
    IReadOnlyCollection<long> SpecialTokenIds,
    double MaskProbability = 0.3,
    double MaskFraction = 0.8,
    double RandomFraction = 0.1);

public static class MlmMasking
{
    /// <summary>The label of positions that carry no loss (PyTorch's cross-entropy ignore_index).</summary>
    public const long IgnoreIndex = -100;

    /// <summary>
    /// Selects each non-special token with probability <c>MaskProbability</c>; a selected token becomes the mask
    /// token (80%), a random non-special token (10%) or stays (10%). Special tokens are never selected. The same
    /// <paramref name="rng"/> state gives the same masking.
    /// </summary>
    public static MaskedBatch Apply(PackedBatch batch, MlmMaskingOptions options, Random rng)
    {
        Validate(options);
        var special = options.SpecialTokenIds as IReadOnlySet<long> ?? options.SpecialTokenIds.ToHashSet();
        var input = (long[])batch.TokenIds.Clone();
        var labels = new long[input.Length];
        var positions = new List<int>();
        for (int i = 0; i < input.Length; i++)
        {
            labels[i] = IgnoreIndex;
            long id = input[i];
            if (id < 0 || id >= options.VocabSize)
                throw new ArgumentException($"Token {i} of the packed batch has id {id}, outside the vocabulary [0, {options.VocabSize}).", nameof(batch));
            if (special.Contains(id) || rng.NextDouble() >= options.MaskProbability) continue;
            labels[i] = id;
            positions.Add(i);
            double action = rng.NextDouble();
            if (action < options.MaskFraction) input[i] = options.MaskTokenId;
            else if (action < options.MaskFraction + options.RandomFraction) input[i] = RandomToken(rng, options.VocabSize, special);
        }
        var pos = positions.ToArray();
        return new MaskedBatch(batch, input, labels, pos, pos.Select(p => labels[p]).ToArray());
    }

    static long RandomToken(Random rng, long vocab, IReadOnlySet<long> special)
    {
        while (true)
        {
            long id = rng.NextInt64(vocab);
            if (!special.Contains(id)) return id;
        }
    }

    static void Validate(MlmMaskingOptions o)
    {
        if (o.MaskProbability is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(o), o.MaskProbability, "MaskProbability must be in [0, 1].");
        if (o.MaskFraction < 0 || o.RandomFraction < 0 || o.MaskFraction + o.RandomFraction > 1)
            throw new ArgumentOutOfRangeException(nameof(o), "MaskFraction and RandomFraction must be non-negative and sum to at most 1.");
        if (o.SpecialTokenIds.Count >= o.VocabSize) throw new ArgumentException("Every vocabulary id is special; nothing can be drawn as a random replacement.", nameof(o));
    }
}
