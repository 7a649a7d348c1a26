using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetExt.Blt.Modules;

/// <summary>SwiGLU feed-forward: down(silu(gate(x)) * up(x)).</summary>
public sealed class BltMlp : nn.Module<Tensor, Tensor>
{
    readonly Linear gate_proj, up_proj, down_proj;

    public BltMlp(LayerShape shape) : base(nameof(BltMlp))
    {
        gate_proj = nn.Linear(shape.HiddenSize, shape.IntermediateSize, hasBias: false);
        up_proj = nn.Linear(shape.HiddenSize, shape.IntermediateSize, hasBias: false);
        down_proj = nn.Linear(shape.IntermediateSize, shape.HiddenSize, hasBias: false);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => down_proj.forward(nn.functional.silu(gate_proj.forward(x)) * up_proj.forward(x));
}
