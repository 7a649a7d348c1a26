using static TorchSharp.torch;

namespace MLNetExt.Training.Optim;

public static class GradientClipping
{
    /// <summary>Global L2 norm over all <paramref name="grads"/> (NaN/inf propagate).</summary>
    public static double GlobalNorm(IReadOnlyList<Tensor> grads)
    {
        using var scope = NewDisposeScope();
        // Per-tensor norms reduce without materialising squared copies; the norm of the norms is the global norm.
        var norms = stack(grads.Select(g => g.norm()).ToArray());
        return norms.to_type(ScalarType.Float64).norm().item<double>();
    }

    /// <summary>The factor that brings a gradient of norm <paramref name="norm"/> down to <paramref name="maxNorm"/> (1 when within it or maxNorm &lt;= 0).</summary>
    public static double ClipFactor(double norm, double maxNorm) => maxNorm > 0 && norm > maxNorm ? maxNorm / (norm + 1e-6) : 1.0;
}
