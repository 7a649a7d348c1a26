namespace MLNetExt.Training.Packing;

/// <summary>
/// Variable-length sequences laid end to end with no padding, the input of every packed forward pass.
/// Positions restart at 0 in each sequence; <see cref="Offsets"/> are the cumulative boundaries
/// (flash-attention's cu_seqlens): sequence i occupies tokens [Offsets[i], Offsets[i+1]).
/// </summary>
public sealed class PackedBatch
{
    public long[] TokenIds { get; }
    public long[] PositionIds { get; }
    public int[] Offsets { get; }
    /// <summary>For each packed sequence, the index of the row it came from.</summary>
    public int[] SourceRows { get; }

    public int Count => Offsets.Length - 1;
    public int TokenCount => TokenIds.Length;
    public int Length(int i) => Offsets[i + 1] - Offsets[i];
    public int MaxLength { get; }

    PackedBatch(long[] tokenIds, long[] positionIds, int[] offsets, int[] sourceRows)
    {
        TokenIds = tokenIds;
        PositionIds = positionIds;
        Offsets = offsets;
        SourceRows = sourceRows;
        for (int i = 0; i < Count; i++) MaxLength = Math.Max(MaxLength, Length(i));
    }

    /// <summary>Packs <paramref name="sequences"/> in the given order; <paramref name="sourceRows"/> defaults to 0..n-1.</summary>
    public static PackedBatch FromSequences(IReadOnlyList<long[]> sequences, IReadOnlyList<int>? sourceRows = null)
    {
        if (sequences.Count == 0) throw new ArgumentException("A packed batch needs at least one sequence.", nameof(sequences));
        if (sourceRows is not null && sourceRows.Count != sequences.Count)
            throw new ArgumentException($"sourceRows has {sourceRows.Count} entries for {sequences.Count} sequences.", nameof(sourceRows));
        var offsets = new int[sequences.Count + 1];
        for (int i = 0; i < sequences.Count; i++)
        {
            if (sequences[i].Length == 0) throw new ArgumentException($"Sequence {i} (row {sourceRows?[i] ?? i}) is empty; every packed sequence needs at least one token.", nameof(sequences));
            offsets[i + 1] = offsets[i] + sequences[i].Length;
        }
        var tokens = new long[offsets[^1]];
        var positions = new long[offsets[^1]];
        for (int i = 0; i < sequences.Count; i++)
        {
            sequences[i].CopyTo(tokens, offsets[i]);
            for (int p = 0; p < sequences[i].Length; p++) positions[offsets[i] + p] = p;
        }
        return new PackedBatch(tokens, positions, offsets, sourceRows?.ToArray() ?? Enumerable.Range(0, sequences.Count).ToArray());
    }
}
