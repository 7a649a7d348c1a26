using static TorchSharp.torch;

namespace MLNetExt.ModernBert;

/// <summary>The activations a config may name (Hugging Face's ACT2FN keys ModernBERT checkpoints use).</summary>
static class Activations
{
    public static Func<Tensor, Tensor> Get(string name, string field) => name switch
    {
        "gelu" => x => nn.functional.gelu(x), // exact erf form, as HF's "gelu"
        "relu" => x => nn.functional.relu(x),
        "silu" or "swish" => x => nn.functional.silu(x),
        _ => throw new ArgumentException($"ModernBERT config field '{field}': activation \"{name}\" is not supported (gelu, relu, silu).", field),
    };
}
