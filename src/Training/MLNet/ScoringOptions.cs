namespace MLNetExt.Training.MLNet;

/// <summary>
/// How scoring groups rows: a batch grows until its rows' summed cost (tokens, as the model counts them) would pass
/// <paramref name="TokenBudget"/> or it holds <paramref name="MaxRows"/> rows. A row costlier than the budget goes alone.
/// </summary>
public sealed record ScoringOptions(int TokenBudget = 16384, int MaxRows = 256)
{
    internal void Validate()
    {
        if (TokenBudget <= 0) throw new ArgumentOutOfRangeException(nameof(TokenBudget), TokenBudget, "The token budget must be positive.");
        if (MaxRows <= 0) throw new ArgumentOutOfRangeException(nameof(MaxRows), MaxRows, "A batch must allow at least one row.");
    }
}
