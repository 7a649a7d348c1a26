using MLNetExt.Training.Packing;
using MLNetExt.Training.Parallel;

namespace MLNetExt.Blt.Training;

/// <summary>
/// Training batches for next-byte language models (BLT, its entropy model, a plain byte transformer): texts become
/// documents of at most <c>sequenceLength</c> predicted bytes, packed into rows of that length, rows grouped under a
/// byte budget. Splitting for data parallelism works on whole documents, which every model here treats as independent.
/// </summary>
public static class ByteBatches
{
    /// <summary>
    /// Each text becomes BOS + UTF-8 bytes + EOS, cut into documents of at most <paramref name="sequenceLength"/>
    /// inputs (each piece's last id starts the next piece, so every byte after BOS is a target exactly once); documents
    /// are packed best-fit into rows of <paramref name="sequenceLength"/> bytes and rows grouped so a batch holds at most
    /// <paramref name="batchBytes"/> input bytes (at least one row).
    /// </summary>
    public static IReadOnlyList<BltBatch> FromTexts(IEnumerable<string> texts, int sequenceLength, int batchBytes) =>
        FromIds(texts.Select(t => ByteTokenizer.Encode(t, addBos: true, addEos: true)), sequenceLength, batchBytes);

    /// <summary><see cref="FromTexts"/> for texts already encoded as ids (BOS + bytes + EOS), e.g. raw bytes that are not UTF-8.</summary>
    public static IReadOnlyList<BltBatch> FromIds(IEnumerable<long[]> texts, int sequenceLength, int batchBytes)
    {
        if (sequenceLength < 1) throw new ArgumentOutOfRangeException(nameof(sequenceLength), sequenceLength, "The sequence length must be at least one byte.");
        if (batchBytes < 1) throw new ArgumentOutOfRangeException(nameof(batchBytes), batchBytes, "The batch byte budget must be positive.");
        var documents = texts.SelectMany(ids => Cut(ids, sequenceLength)).ToList();
        if (documents.Count == 0) throw new ArgumentException("The texts hold no bytes to train on.", nameof(texts));
        var rows = Rows(documents, sequenceLength);
        int rowsPerBatch = Math.Max(1, batchBytes / sequenceLength);
        return rows.Chunk(rowsPerBatch).Select(BltBatch.FromRows).ToList();
    }

    /// <summary>Pieces of <paramref name="ids"/> with at most <paramref name="maxInputs"/> inputs each, overlapping by one id.</summary>
    public static IEnumerable<long[]> Cut(long[] ids, int maxInputs)
    {
        for (int start = 0; start < ids.Length - 1; start += maxInputs)
            yield return ids[start..Math.Min(ids.Length, start + maxInputs + 1)];
    }

    /// <summary>
    /// The training documents of <paramref name="batch"/> as full id sequences (inputs plus the last target), rows in
    /// order. Throws for inference documents, which have no targets to rebuild them from.
    /// </summary>
    public static IReadOnlyList<long[]> Documents(BltBatch batch)
    {
        var documents = new List<long[]>();
        for (int r = 0; r < batch.Rows; r++)
        {
            foreach (var (segment, d) in batch.Segments[r].Where(s => !s.IsPadding).Select((s, d) => (s, d)))
            {
                int at = (r * batch.Length) + segment.Start;
                var targets = batch.Targets.AsSpan(at, segment.Length);
                if (targets.Contains(BltBatch.IgnoreIndex))
                    throw new ArgumentException($"Row {r}, document {d} has bytes without targets; training batches come from BltBatch.FromRows or ByteBatches.FromTexts.", nameof(batch));
                documents.Add([.. batch.Inputs.AsSpan(at, segment.Length), targets[^1]]);
            }
        }
        return documents;
    }

    /// <summary>
    /// Exactly <paramref name="parts"/> shards of nearly equal byte counts, cutting between documents (in row order) and
    /// re-packing each shard into rows of the batch's length. A shard without documents is <see cref="Empty"/>.
    /// </summary>
    public static IReadOnlyList<BltBatch> Split(BltBatch batch, int parts)
    {
        var documents = Documents(batch);
        var cuts = TokenBalance.Boundaries(documents.Select(d => d.Length - 1).ToArray(), parts);
        return Enumerable.Range(0, parts).Select(k => cuts[k] == cuts[k + 1]
            ? Empty()
            : BltBatch.FromRows(Rows(documents.Skip(cuts[k]).Take(cuts[k + 1] - cuts[k]).ToList(), batch.Length))).ToList();
    }

    /// <summary>A batch with nothing to score (a lone BOS, no targets): the shard of a replica that got no documents.</summary>
    public static BltBatch Empty() => BltBatch.ForInference([[ByteTokenizer.Bos]]);

    /// <summary>Scored targets: the tokens of every byte-LM task (EOS counts as a byte).</summary>
    public static long CountTargets(BltBatch batch) => batch.Targets.LongCount(t => t != BltBatch.IgnoreIndex);

    /// <summary>Input lengths of the batch's documents (padding excluded), rows in order.</summary>
    public static IEnumerable<int> DocumentLengths(BltBatch batch) =>
        batch.Segments.SelectMany(row => row.Where(s => !s.IsPadding).Select(s => s.Length));

    static List<IReadOnlyList<long[]>> Rows(IReadOnlyList<long[]> documents, int rowLength) =>
        Packer.BestFit(documents.Select(d => d.Length - 1).ToArray(), rowLength)
            .Select(row => (IReadOnlyList<long[]>)row.Select(i => documents[i]).ToList()).ToList();
}
