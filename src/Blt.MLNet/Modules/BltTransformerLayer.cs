using MLNetExt.Training;
using static TorchSharp.torch;

namespace MLNetExt.Blt.Modules;

/// <summary>Pre-norm transformer layer: x + attn(norm(x)), then + mlp(norm(.)).</summary>
public sealed class BltTransformerLayer : nn.Module
{
    readonly BltSelfAttention self_attn;
    readonly BltMlp mlp;
    readonly RmsNorm input_layernorm, post_attention_layernorm;

    public BltTransformerLayer(LayerShape shape) : base(nameof(BltTransformerLayer))
    {
        self_attn = new BltSelfAttention(shape);
        mlp = new BltMlp(shape);
        input_layernorm = new RmsNorm(shape.HiddenSize, shape.RmsNormEps);
        post_attention_layernorm = new RmsNorm(shape.HiddenSize, shape.RmsNormEps);
        RegisterComponents();
    }

    public Tensor Forward(Tensor x, (Tensor Cos, Tensor Sin) rope, Tensor? mask, KvCache? cache = null)
    {
        var h = x.Plus(self_attn.Forward(input_layernorm.forward(x), rope, mask, cache));
        return h.Plus(mlp.forward(post_attention_layernorm.forward(h)));
    }
}
