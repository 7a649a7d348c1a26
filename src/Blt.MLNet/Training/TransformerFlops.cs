namespace MLNetExt.Blt.Training;

/// <summary>
/// Training FLOPs per token (forward + backward = 3 × forward, 2 FLOPs per multiply-add) of the pieces the byte models
/// are built from. Attention is counted over the keys a query actually sees (causal, per document, windowed), not the
/// padded row, so packed and unpacked batches cost the same.
/// </summary>
public static class TransformerFlops
{
    /// <summary>One pre-norm layer: q/k/v/o and SwiGLU matmuls plus scores and values over <paramref name="context"/> keys.</summary>
    public static double Layer(LayerShape s, double context) =>
        6.0 * ((s.HiddenSize * s.HeadDim * (2.0 * s.NumAttentionHeads + 2.0 * s.NumKeyValueHeads)) + (3.0 * s.HiddenSize * s.IntermediateSize))
        + Attention(s, context);

    /// <summary>Scores and weighted values: 2 matmuls of head_dim × heads per visible key.</summary>
    public static double Attention(LayerShape s, double context) => 12.0 * s.NumAttentionHeads * s.HeadDim * context;

    /// <summary>A linear map applied to one token.</summary>
    public static double Linear(double inputs, double outputs) => 6.0 * inputs * outputs;

    /// <summary>Mean number of keys a causal query sees over documents of these lengths (per query), within an optional window.</summary>
    public static double MeanContext(IEnumerable<int> lengths, int? window)
    {
        double keys = 0, queries = 0;
        foreach (int n in lengths)
        {
            int w = Math.Min(window ?? n, n);
            // Positions 0..w-1 see t + 1 keys, the rest see w.
            keys += (w * (w + 1) / 2.0) + ((double)(n - w) * w);
            queries += n;
        }
        return queries == 0 ? 0 : keys / queries;
    }
}
