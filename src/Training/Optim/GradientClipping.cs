using static TorchSharp.torch;

namespace MLNetExt.Training.Optim;

public static class GradientClipping
{
    /// <summary>
    /// Scales <paramref name="grads"/> in place so their global L2 norm is at most <paramref name="maxNorm"/>
    /// (no clipping when maxNorm &lt;= 0). Returns the norm before clipping, NaN/inf included.
    /// </summary>
    public static double ClipGlobalNorm(IReadOnlyList<Tensor> grads, double maxNorm)
    {
        using var scope = NewDisposeScope();
        // Per-tensor norms reduce without materialising squared copies; the global norm combines them.
        var norms = stack(grads.Select(g => linalg.vector_norm(g, 2, null, false)).ToArray());
        double norm = norms.to_type(ScalarType.Float64).square().sum().sqrt().item<double>();
        if (maxNorm > 0 && norm > maxNorm && double.IsFinite(norm))
            foreach (var g in grads) g.mul_(maxNorm / (norm + 1e-6));
        return norm;
    }
}
