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

    static void TruncNormal(Tensor weight, double std) => nn.init.trunc_normal_(weight, 0, std, -3 * std, 3 * std);
}
