using MLNetExt.ModernBert.Tokenization;
using MLNetExt.Training.Packing;

namespace MLNetExt.ModernBert.Training;

/// <summary>
/// Texts to packed training batches: each text is tokenized, cut into consecutive chunks that fit
/// <c>[CLS] chunk [SEP]</c> in <c>maxSequenceLength</c> tokens (nothing is thrown away), and the sequences
/// are packed best-fit into batches of at most <c>batchTokens</c> tokens. Deterministic for the same
/// inputs, so a resumed run rebuilds the same batches.
/// </summary>
public static class TextBatches
{
    /// <param name="minSequencesPerBatch">
    /// Data parallelism gives every replica whole sequences, so pass the replica count: best-fit's few leftover
    /// batches holding fewer sequences are pooled within the budget, and a pool that still falls short is left out.
    /// </param>
    public static IReadOnlyList<PackedBatch> Pack(ModernBertTokenizer tokenizer, IEnumerable<string> texts,
        int batchTokens, int maxSequenceLength = 512, int minSequencesPerBatch = 1)
    {
        if (maxSequenceLength < 3) throw new ArgumentOutOfRangeException(nameof(maxSequenceLength), maxSequenceLength, "A sequence needs room for [CLS], one token and [SEP].");
        if (minSequencesPerBatch < 1) throw new ArgumentOutOfRangeException(nameof(minSequencesPerBatch), minSequencesPerBatch, "At least one sequence per batch.");
        if (batchTokens < maxSequenceLength * minSequencesPerBatch)
            throw new ArgumentOutOfRangeException(nameof(batchTokens), batchTokens,
                $"The token budget must hold {minSequencesPerBatch} sequence(s) of maxSequenceLength {maxSequenceLength} tokens.");
        var sequences = Sequences(tokenizer, texts, maxSequenceLength);
        if (sequences.Count == 0) throw new ArgumentException("The texts produced no tokens; every text is empty.", nameof(texts));
        var bins = Packer.BestFit(sequences.Select(s => s.Length).ToArray(), batchTokens);
        var batches = new List<PackedBatch>();
        var pending = new List<int>();
        foreach (var rows in bins)
        {
            if (rows.Length >= minSequencesPerBatch) { batches.Add(Batch(sequences, rows)); continue; }
            // Small leftovers only come from the last bins of best-fit; they are short, so pooling them stays in budget.
            if (pending.Count > 0 && pending.Sum(r => sequences[r].Length) + rows.Sum(r => sequences[r].Length) > batchTokens) pending.Clear();
            pending.AddRange(rows);
            if (pending.Count >= minSequencesPerBatch) { batches.Add(Batch(sequences, [.. pending.Order()])); pending.Clear(); }
        }
        if (batches.Count == 0)
            throw new ArgumentException($"The texts make {sequences.Count} sequence(s); at least {minSequencesPerBatch} are needed for one batch.", nameof(texts));
        return batches;
    }

    /// <summary>Every text as one or more <c>[CLS] chunk [SEP]</c> id sequences of at most <paramref name="maxSequenceLength"/> tokens, in order.</summary>
    public static IReadOnlyList<long[]> Sequences(ModernBertTokenizer tokenizer, IEnumerable<string> texts, int maxSequenceLength)
    {
        int content = maxSequenceLength - 2;
        return texts.AsParallel().AsOrdered()
            .SelectMany(text =>
            {
                var ids = tokenizer.EncodeWithoutSpecialTokens(text);
                return Enumerable.Range(0, (ids.Length + content - 1) / content)
                    .Select(c => Wrap(tokenizer, ids.AsSpan(c * content, Math.Min(content, ids.Length - c * content))));
            })
            .ToList();
    }

    static long[] Wrap(ModernBertTokenizer tokenizer, ReadOnlySpan<int> chunk)
    {
        var ids = new long[chunk.Length + 2];
        ids[0] = tokenizer.ClsId;
        for (int i = 0; i < chunk.Length; i++) ids[i + 1] = chunk[i];
        ids[^1] = tokenizer.SepId;
        return ids;
    }

    static PackedBatch Batch(IReadOnlyList<long[]> sequences, int[] rows) => PackedBatch.FromSequences(rows.Select(r => sequences[r]).ToList(), rows);
}
