using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetExt.Blt.Modules;

/// <summary>RMSNorm computed in float32 (as HF's BltRMSNorm), scaled by <c>weight</c>.</summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    readonly Parameter weight;
    readonly double eps;

    public RmsNorm(long size, double eps) : base(nameof(RmsNorm))
    {
        weight = nn.Parameter(ones(size));
        this.eps = eps;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var h = x.to_type(ScalarType.Float32);
        h = h * rsqrt(h.pow(2).mean([-1], keepdim: true) + eps);
        return weight * h.to_type(x.dtype);
    }
}
