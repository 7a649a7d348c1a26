namespace MLNetExt.ModernBert.Training;

/// <summary>Training FLOPs per token: 6·N for the weights plus attention's 12·L·S·d, S the mean sequence length.</summary>
static class ModernBertFlops
{
    public static double PerToken(ModernBertConfig config, IReadOnlyList<long[]> sequences)
    {
        double tokens = sequences.Sum(s => (double)s.Length);
        // Attention cost grows with each sequence's own length; weight it by the tokens that pay it.
        double meanLength = tokens == 0 ? 0 : sequences.Sum(s => (double)s.Length * s.Length) / tokens;
        return 6.0 * config.NonEmbeddingParameterCount() + 12.0 * config.NumHiddenLayers * meanLength * config.HiddenSize;
    }
}
