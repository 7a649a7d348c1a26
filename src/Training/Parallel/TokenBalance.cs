namespace MLNetExt.Training.Parallel;

/// <summary>Cuts an ordered list of sequences into contiguous shards of nearly equal token count.</summary>
public static class TokenBalance
{
    /// <summary>
    /// Returns <paramref name="parts"/>+1 boundaries: shard k holds sequences [b[k], b[k+1]). Each cut is the
    /// sequence boundary closest to k/parts of the tokens; shards are empty only when there are fewer sequences
    /// than parts.
    /// </summary>
    public static int[] Boundaries(IReadOnlyList<int> lengths, int parts)
    {
        if (parts < 1) throw new ArgumentOutOfRangeException(nameof(parts), parts, "Need at least one shard.");
        var cumulative = new long[lengths.Count + 1];
        for (int i = 0; i < lengths.Count; i++) cumulative[i + 1] = cumulative[i] + lengths[i];
        var cuts = new int[parts + 1];
        cuts[parts] = lengths.Count;
        for (int k = 1; k < parts; k++)
        {
            double target = cumulative[^1] * (double)k / parts;
            int best = cuts[k - 1];
            for (int i = best; i <= lengths.Count; i++)
                if (Math.Abs(cumulative[i] - target) < Math.Abs(cumulative[best] - target)) best = i;
            // Leave at least one sequence for each later shard when there are enough.
            cuts[k] = Math.Min(Math.Max(best, Math.Min(cuts[k - 1] + 1, lengths.Count)), Math.Max(cuts[k - 1], lengths.Count - (parts - k)));
        }
        return cuts;
    }
}
