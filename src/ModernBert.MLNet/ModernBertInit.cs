using MLNetExt.Training;
using static TorchSharp.torch;

namespace MLNetExt.ModernBert;

/// <summary>
/// Hugging Face's ModernBERT initialisation: truncated normal cut at ±cutoff·std, with one std per role,
/// chosen by checkpoint key. Norm weights 1, biases 0.
/// </summary>
static class ModernBertInit
{
    public static void Initialize(nn.Module root, ModernBertConfig config)
    {
        double inStd = config.InitializerRange;
        double outStd = config.InitializerRange / Math.Sqrt(2.0 * config.NumHiddenLayers); // residual-branch outputs
        double embeddingStd = config.InitializerRange;
        double finalOutStd = Math.Pow(config.HiddenSize, -0.5);                         // classifier logits
        using var _ = no_grad();
        foreach (var (name, p) in root.named_parameters())
        {
            double? std = name switch
            {
                _ when name.EndsWith(".bias", StringComparison.Ordinal) || name == "bias" => null,
                _ when name.EndsWith("tok_embeddings.weight", StringComparison.Ordinal) => embeddingStd,
                _ when name.EndsWith("attn.Wqkv.weight", StringComparison.Ordinal) || name.EndsWith("mlp.Wi.weight", StringComparison.Ordinal) => inStd,
                _ when name.EndsWith("attn.Wo.weight", StringComparison.Ordinal) || name.EndsWith("mlp.Wo.weight", StringComparison.Ordinal) => outStd,
                _ when name.EndsWith("head.dense.weight", StringComparison.Ordinal) => outStd,
                _ when name.EndsWith("classifier.weight", StringComparison.Ordinal) => finalOutStd,
                _ => double.NaN, // norms
            };
            if (std is null) p.zero_();
            else if (double.IsNaN(std.Value)) p.fill_(Scalars.One);
            else TruncatedNormal.Fill(p, std.Value, config.InitializerCutoffFactor);
        }
    }
}
