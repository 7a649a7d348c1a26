using MLNetExt.Training.Transfer;
using TorchSharp;
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
        return DeviceTraffic.Read(norms.to_type(ScalarType.Float64).norm())[0];
    }

    /// <summary>The factor that brings a gradient of norm <paramref name="norm"/> down to <paramref name="maxNorm"/> (1 when within it or maxNorm &lt;= 0).</summary>
    public static double ClipFactor(double norm, double maxNorm) => maxNorm > 0 && norm > maxNorm ? maxNorm / (norm + 1e-6) : 1.0;

    /// <summary>
    /// On the device, what the fused AdamW divides the summed gradient by: 1 / (<paramref name="scale"/> · ClipFactor),
    /// with <paramref name="norm"/> the summed gradient's norm (so norm · scale is the mean gradient's). Float32, 0-dim.
    /// </summary>
    internal static Tensor Divisor(Tensor norm, double scale, double maxNorm)
    {
        using var inverse = (1 / scale).ToScalar();
        if (maxNorm <= 0) return full(norm.shape, inverse, ScalarType.Float32, norm.device);
        using var s = scale.ToScalar();
        using var max = maxNorm.ToScalar();
        using var maxTimesScale = (maxNorm * scale).ToScalar();
        using var epsilon = 1e-6.ToScalar();
        var scaled = norm.to_type(ScalarType.Float64).mul(s);
        // Over the limit: divide by scale · max / (scaled + eps), i.e. multiply by (scaled + eps) / (max · scale).
        var clipped = scaled.add(epsilon, Scalars.One).div(maxTimesScale);
        return clipped.masked_fill_(scaled.gt(max).logical_not(), inverse).to_type(ScalarType.Float32);
    }
}
