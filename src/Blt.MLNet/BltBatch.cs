using MLNetExt.Training.Packing;

namespace MLNetExt.Blt;

/// <summary>
/// Rows of byte ids, each a run of documents laid end to end (then BOE padding). Every document is processed as if
/// alone: attention, n-gram hashes, patches and positions all stop at document ends.
/// A document given for training is a full id sequence (BOS … EOS): its inputs are ids[..^1] and its targets ids[1..].
/// Targets of padding (and of inference-only documents) are <see cref="IgnoreIndex"/>.
/// </summary>
public sealed class BltBatch
{
    public const long IgnoreIndex = -100;

    /// <summary>One document inside a row: where it starts, how long it is, and whether it is padding.</summary>
    public readonly record struct Segment(int Start, int Length, bool IsPadding);

    public int Rows { get; }
    public int Length { get; }
    /// <summary>(Rows × Length) input ids, row-major.</summary>
    public long[] Inputs { get; }
    /// <summary>(Rows × Length) next-byte targets, row-major.</summary>
    public long[] Targets { get; }
    /// <summary>(Rows × Length) document index inside the row (padding is a document of its own).</summary>
    public long[] DocIds { get; }
    /// <summary>(Rows × Length) position inside the document.</summary>
    public long[] Positions { get; }
    public IReadOnlyList<Segment[]> Segments { get; }

    BltBatch(IReadOnlyList<IReadOnlyList<(long[] Inputs, long[]? Targets)>> rows)
    {
        if (rows.Count == 0) throw new ArgumentException("A batch needs at least one row.", nameof(rows));
        Rows = rows.Count;
        Length = rows.Max(r => r.Sum(d => d.Inputs.Length));
        if (Length == 0) throw new ArgumentException("Every row of the batch is empty.", nameof(rows));
        (Inputs, Targets, DocIds, Positions) = (new long[Rows * Length], new long[Rows * Length], new long[Rows * Length], new long[Rows * Length]);
        var segments = new Segment[Rows][];
        for (int r = 0; r < Rows; r++)
        {
            var list = new List<Segment>();
            int at = r * Length, start = 0;
            foreach (var (inputs, targets) in rows[r])
            {
                if (inputs.Length == 0) continue;
                for (int i = 0; i < inputs.Length; i++)
                {
                    if (inputs[i] is < 0 or >= ByteTokenizer.VocabSize)
                        throw new ArgumentOutOfRangeException(nameof(rows), inputs[i], $"Row {r}, document {list.Count}: id at {i} is outside [0, {ByteTokenizer.VocabSize}).");
                    Inputs[at + start + i] = inputs[i];
                    Targets[at + start + i] = targets?[i] ?? IgnoreIndex;
                    DocIds[at + start + i] = list.Count;
                    Positions[at + start + i] = i;
                }
                list.Add(new Segment(start, inputs.Length, false));
                start += inputs.Length;
            }
            if (start < Length)
            {
                for (int i = start; i < Length; i++)
                    (Inputs[at + i], Targets[at + i], DocIds[at + i], Positions[at + i]) = (ByteTokenizer.Boe, IgnoreIndex, list.Count, i - start);
                list.Add(new Segment(start, Length - start, true));
            }
            segments[r] = list.ToArray();
        }
        Segments = segments;
    }

    public ReadOnlySpan<long> RowInputs(int row) => Inputs.AsSpan(row * Length, Length);

    /// <summary>One row per document; each document is a full id sequence and is trained to predict ids[1..].</summary>
    public static BltBatch FromDocuments(IReadOnlyList<long[]> documents) =>
        FromRows(documents.Select(d => (IReadOnlyList<long[]>)[d]).ToList());

    /// <summary>Rows of documents packed end to end; each document is trained to predict ids[1..].</summary>
    public static BltBatch FromRows(IReadOnlyList<IReadOnlyList<long[]>> rows) =>
        new(rows.Select((row, r) => (IReadOnlyList<(long[], long[]?)>)row.Select((d, i) =>
        {
            if (d.Length < 2) throw new ArgumentException($"Row {r}, document {i} has {d.Length} ids; training needs at least 2 (input and target).", nameof(rows));
            return (d[..^1], (long[]?)d[1..]);
        }).ToList()).ToList());

    /// <summary>Each <see cref="PackedBatch"/> becomes one row; its sequences are the documents.</summary>
    public static BltBatch FromPacked(IReadOnlyList<PackedBatch> packed) =>
        FromRows(packed.Select(p => (IReadOnlyList<long[]>)Enumerable.Range(0, p.Count).Select(i => p.TokenIds[p.Offsets[i]..p.Offsets[i + 1]]).ToList()).ToList());

    /// <summary>Inputs only (no targets), one row per sequence: for scoring or generation.</summary>
    public static BltBatch ForInference(IReadOnlyList<long[]> sequences) =>
        new(sequences.Select(s => (IReadOnlyList<(long[], long[]?)>)[(s, null)]).ToList());
}
