namespace MLNetExt.Training.Packing;

/// <summary>Groups sequences into batches whose total length stays under a token budget.</summary>
public static class Packer
{
    /// <summary>
    /// Greedy best-fit, longest first (as ModernBERT's training repo packs): each sequence goes into the open
    /// batch whose remaining room it fills most tightly, or starts a new one. Returns row indices per batch,
    /// in ascending row order inside each batch. A sequence longer than the budget gets a batch of its own.
    /// </summary>
    public static List<int[]> BestFit(IReadOnlyList<int> lengths, int tokenBudget)
    {
        if (tokenBudget <= 0) throw new ArgumentOutOfRangeException(nameof(tokenBudget), tokenBudget, "The token budget must be positive.");
        var order = Enumerable.Range(0, lengths.Count).OrderByDescending(i => lengths[i]).ThenBy(i => i);
        var bins = new List<(int Room, List<int> Rows)>();
        // Rooms kept sorted so the tightest fitting bin is a binary search away.
        var byRoom = new SortedSet<(int Room, int Bin)>();
        foreach (int row in order)
        {
            int len = lengths[row];
            if (len < 0) throw new ArgumentException($"Row {row} has negative length {len}.", nameof(lengths));
            var fit = byRoom.GetViewBetween((len, -1), (int.MaxValue, int.MaxValue));
            if (fit.Count > 0)
            {
                var (room, bin) = fit.Min;
                byRoom.Remove(fit.Min);
                bins[bin].Rows.Add(row);
                bins[bin] = (room - len, bins[bin].Rows);
                byRoom.Add((room - len, bin));
            }
            else
            {
                bins.Add((tokenBudget - len, new List<int> { row }));
                if (tokenBudget - len > 0) byRoom.Add((tokenBudget - len, bins.Count - 1));
            }
        }
        return bins.Select(b => { b.Rows.Sort(); return b.Rows.ToArray(); }).ToList();
    }
}
