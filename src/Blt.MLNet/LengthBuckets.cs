namespace MLNetExt.Blt;

/// <summary>
/// Splits rows of mixed lengths into model calls that pad little, so a long row never makes short rows pad to its
/// length: rows are taken longest first, and a bucket takes rows while each one is at least 1/<see cref="Ratio"/> of
/// the bucket's longest (rows under <see cref="MinWidth"/> count as that long, so short rows share one call). A
/// bucket's padded size (rows × longest) is then at most <see cref="Ratio"/> × its rows' lengths so counted.
/// </summary>
static class LengthBuckets
{
    public const double Ratio = 1.25;
    public const int MinWidth = 64;

    /// <summary>Row indices per bucket, longest bucket first; each bucket's rows longest first (ties in input order).</summary>
    public static IReadOnlyList<int[]> Of(IReadOnlyList<int> lengths)
    {
        var order = Enumerable.Range(0, lengths.Count).OrderByDescending(i => lengths[i]).ThenBy(i => i).ToArray();
        var buckets = new List<int[]>();
        for (int start = 0; start < order.Length;)
        {
            int width = lengths[order[start]], end = start + 1;
            while (end < order.Length && Math.Max(lengths[order[end]], MinWidth) * Ratio >= width) end++;
            buckets.Add(order[start..end]);
            start = end;
        }
        return buckets;
    }

    /// <summary>Runs <paramref name="score"/> once per bucket of <paramref name="rows"/>; returns its results in input order.</summary>
    public static TResult[] Score<TResult>(IReadOnlyList<long[]> rows, Func<IReadOnlyList<long[]>, TResult[]> score)
    {
        var results = new TResult[rows.Count];
        foreach (var bucket in Of(rows.Select(r => r.Length).ToArray()))
        {
            var scored = score(bucket.Select(i => rows[i]).ToArray());
            if (scored.Length != bucket.Length) throw new InvalidOperationException($"Scoring {bucket.Length} rows returned {scored.Length} results.");
            for (int j = 0; j < bucket.Length; j++) results[bucket[j]] = scored[j];
        }
        return results;
    }
}
