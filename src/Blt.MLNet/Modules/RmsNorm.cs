using MLNetExt.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetExt.Blt.Modules;

/// <summary>RMSNorm computed in float32 (as HF's BltRMSNorm), scaled by <c>weight</c>.</summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    readonly Parameter weight;
    readonly Scalar eps; // lives with the module: never a finalizable temporary (see Scalars)

    public RmsNorm(long size, double eps) : base(nameof(RmsNorm))
    {
        weight = nn.Parameter(ones(size));
        this.eps = eps.ToScalar();
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var h = x.to_type(ScalarType.Float32);
        h = h * rsqrt((h * h).mean([-1], keepdim: true).add(eps, Scalars.One));
        return weight * h.to_type(x.dtype);
    }
}
