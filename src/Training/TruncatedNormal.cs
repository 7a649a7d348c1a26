using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.Training;

/// <summary>
/// Fills a tensor with Normal(0, std) restricted to ±cutoff·std by inverse-CDF sampling, as
/// torch.nn.init.trunc_normal_ does (TorchSharp 0.107's trunc_normal_ fills a constant, so it cannot be used).
/// </summary>
internal static class TruncatedNormal
{
    public static void Fill(Tensor p, double std, double cutoff)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        double mass = erf(tensor(cutoff / Math.Sqrt(2.0), ScalarType.Float64)).item<double>(); // 2·cdf(cutoff) - 1
        using var scale = (std * Math.Sqrt(2.0)).ToScalar();
        using var low = (-cutoff * std).ToScalar();
        using var high = (cutoff * std).ToScalar();
        // The clamp only catches erfinv rounding at the edges of the uniform draw.
        p.uniform_(-mass, mass).erfinv_().mul_(scale).clamp_(low, high);
    }
}
