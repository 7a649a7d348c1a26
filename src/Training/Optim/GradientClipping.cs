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
        var squares = grads.Select(g => g.square().sum()).ToArray();
        double norm = Math.Sqrt(stack(squares).sum().to_type(ScalarType.Float64).item<double>());
        if (maxNorm > 0 && norm > maxNorm && double.IsFinite(norm))
            foreach (var g in grads) g.mul_(maxNorm / (norm + 1e-6));
        return norm;
    }
}
