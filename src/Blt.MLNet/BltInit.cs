using MLNetExt.Blt.Modules;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetExt.Blt;

/// <summary>
/// BLT's initialisation (reference and HF): truncated normal at ±3σ with σ = fan_in^-1/2 for every linear layer
/// (so FFN down projections use the FFN width) and σ = dim^-1/2 for embeddings; RMSNorm weights start at 1.
/// </summary>
static class BltInit
{
    public static void Apply(nn.Module root)
    {
        using var _ = no_grad();
        foreach (var (_, module) in root.named_modules())
        {
            switch (module)
            {
                case Linear linear:
                    TruncNormal(linear.weight!, Math.Pow(linear.in_features, -0.5));
                    break;
                case Embedding embedding:
                    TruncNormal(embedding.weight!, Math.Pow(embedding.weight!.shape[1], -0.5));
                    break;
            }
        }
    }

    /// <summary>erf(3/√2): the probability mass of a standard normal within ±3σ.</summary>
    const double Erf3OverSqrt2 = 0.9973002039367398;

    /// <summary>
    /// N(0, std²) truncated to ±3σ by inverse CDF: erfinv of a uniform draw on (-erf(3/√2), erf(3/√2)), scaled by std·√2.
    /// (TorchSharp 0.107's nn.init.trunc_normal_ fills the tensor with a constant, so it cannot be used.)
    /// </summary>
    static void TruncNormal(Tensor weight, double std) =>
        weight.uniform_(-Erf3OverSqrt2, Erf3OverSqrt2).erfinv_().mul_(std * Math.Sqrt(2));
}
