using MLNetExt.Blt.Modules;
using MLNetExt.Training;
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
                    TruncatedNormal.Fill(linear.weight!, Math.Pow(linear.in_features, -0.5), cutoff: 3);
                    break;
                case Embedding embedding:
                    TruncatedNormal.Fill(embedding.weight!, Math.Pow(embedding.weight!.shape[1], -0.5), cutoff: 3);
                    break;
            }
        }
    }
}
