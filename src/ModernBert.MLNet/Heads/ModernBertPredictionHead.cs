using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetExt.ModernBert;

/// <summary>dense -> activation -> norm, shared by the masked-LM and classification heads (HF's <c>head.*</c>).</summary>
public sealed class ModernBertPredictionHead : nn.Module<Tensor, Tensor>
{
    readonly Linear dense;
    readonly ModernBertLayerNorm norm;
    readonly Func<Tensor, Tensor> act;

    public ModernBertPredictionHead(ModernBertConfig config) : base("ModernBertPredictionHead")
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize, hasBias: config.ClassifierBias);
        norm = new ModernBertLayerNorm(config);
        act = Activations.Get(config.ClassifierActivation, "classifier_activation");
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => norm.call(act(dense.call(x)));
}
