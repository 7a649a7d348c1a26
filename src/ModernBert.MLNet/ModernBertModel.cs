using MLNetExt.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetExt.ModernBert;

// ModernBERT (Warner et al., 2024) over packed, padding-free batches. Field names are Hugging Face's checkpoint keys.
// Every tensor below is [T, ...]: T = real tokens of the whole batch; PackedInput keeps sequences apart in attention.

/// <summary>Anything built from one <see cref="ModernBertConfig"/>: the encoder and every head.</summary>
public interface IModernBertModule
{
    ModernBertConfig Config { get; }
}

/// <summary>LayerNorm whose bias exists only when the config asks for it (ModernBERT's are bias-free).</summary>
public sealed class ModernBertLayerNorm : nn.Module<Tensor, Tensor>
{
    readonly Parameter weight;
    readonly Parameter? bias;
    readonly long[] shape;
    readonly double eps;

    public ModernBertLayerNorm(ModernBertConfig config) : base("LayerNorm")
    {
        shape = [config.HiddenSize];
        eps = config.NormEps;
        weight = new Parameter(ones(config.HiddenSize));
        bias = config.NormBias ? new Parameter(zeros(config.HiddenSize)) : null;
        RegisterComponents();
    }

    // torch's layer_norm accumulates bf16 input in float32, so bf16 inference stays well-conditioned.
    public override Tensor forward(Tensor x) => nn.functional.layer_norm(x, shape, weight, bias, eps);
}

public sealed class ModernBertEmbeddings : nn.Module<Tensor, Tensor>
{
    readonly Embedding tok_embeddings;
    readonly ModernBertLayerNorm norm;
    readonly Dropout drop;

    public ModernBertEmbeddings(ModernBertConfig config) : base("ModernBertEmbeddings")
    {
        tok_embeddings = nn.Embedding(config.VocabSize, config.HiddenSize, padding_idx: config.PadTokenId);
        norm = new ModernBertLayerNorm(config);
        drop = nn.Dropout(config.EmbeddingDropout);
        RegisterComponents();
    }

    /// <summary>The token embedding matrix [V, H], which the masked-LM decoder reuses.</summary>
    public Parameter TokenEmbeddingWeight => tok_embeddings.weight!;

    public override Tensor forward(Tensor inputIds) => drop.call(norm.call(tok_embeddings.call(inputIds))); // [T, H]
}

/// <summary>GeGLU feed-forward: Wi makes [input | gate], the output is Wo(act(input) * gate).</summary>
public sealed class ModernBertMLP : nn.Module<Tensor, Tensor>
{
    readonly Linear Wi;
    readonly Dropout drop;
    readonly Linear Wo;
    readonly Func<Tensor, Tensor> act;

    public ModernBertMLP(ModernBertConfig config) : base("ModernBertMLP")
    {
        Wi = nn.Linear(config.HiddenSize, 2 * config.IntermediateSize, hasBias: config.MlpBias);
        drop = nn.Dropout(config.MlpDropout);
        Wo = nn.Linear(config.IntermediateSize, config.HiddenSize, hasBias: config.MlpBias);
        act = Activations.Get(config.HiddenActivation, "hidden_activation");
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var inputAndGate = Wi.call(x).chunk(2, -1); // 2 x [T, I]
        return Wo.call(drop.call(act(inputAndGate[0]) * inputAndGate[1]));
    }
}

/// <summary>Self-attention with rotary positions; global or local is fixed at construction by the layer index.</summary>
public sealed class ModernBertAttention : nn.Module<Tensor, PackedInput, Tensor>
{
    readonly Linear Wqkv;
    readonly Linear Wo;
    readonly Dropout out_drop;
    readonly int heads, headDim;
    readonly double theta, attentionDropout;
    readonly Func<PackedInput, AttentionPlan> plan;

    public ModernBertAttention(ModernBertConfig config, int layer) : base("ModernBertAttention")
    {
        heads = config.NumAttentionHeads;
        headDim = config.HeadDim;
        attentionDropout = config.AttentionDropout;
        var kind = config.LayerType(layer);
        theta = config.RopeTheta(kind);
        plan = kind == AttentionKind.Global ? input => input.GlobalPlan : input => input.LocalPlan;
        Wqkv = nn.Linear(config.HiddenSize, 3 * config.HiddenSize, hasBias: config.AttentionBias);
        Wo = nn.Linear(config.HiddenSize, config.HiddenSize, hasBias: config.AttentionBias);
        out_drop = nn.Dropout(config.AttentionDropout);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, PackedInput input)
    {
        long t = x.shape[0];
        var qkv = Wqkv.call(x).view(t, 3, heads, headDim);  // [T, 3, nh, hd]: q of all heads, then k, then v
        var (cos, sin) = input.RotaryTables(theta, qkv.dtype);
        var qk = Rotary.Apply(qkv.narrow(1, 0, 2), cos, sin); // [T, 2, nh, hd]: q and k rotated in one pass
        var (q, k, v) = (qk.select(1, 0), qk.select(1, 1), qkv.select(1, 2)); // [T, nh, hd] each
        var o = plan(input).Attend(q, k, v, training ? attentionDropout : 0.0); // [T, nh, hd]
        return out_drop.call(Wo.call(o.reshape(t, heads * headDim)));
    }
}

/// <summary>Pre-norm block: x + attn(attn_norm(x)), then x + mlp(mlp_norm(x)). Layer 0 has no attn_norm (embeddings are normed).</summary>
public sealed class ModernBertEncoderLayer : nn.Module<Tensor, PackedInput, Tensor>
{
    readonly nn.Module<Tensor, Tensor> attn_norm;
    readonly ModernBertAttention attn;
    readonly ModernBertLayerNorm mlp_norm;
    readonly ModernBertMLP mlp;

    public ModernBertEncoderLayer(ModernBertConfig config, int layer) : base("ModernBertEncoderLayer")
    {
        attn_norm = layer == 0 ? nn.Identity() : new ModernBertLayerNorm(config);
        attn = new ModernBertAttention(config, layer);
        mlp_norm = new ModernBertLayerNorm(config);
        mlp = new ModernBertMLP(config);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, PackedInput input)
    {
        x = x.Plus(attn.call(attn_norm.call(x), input));
        x = x.Plus(mlp.call(mlp_norm.call(x)));
        return x;
    }
}

/// <summary>The ModernBERT encoder: packed tokens in, final-normed hidden states [T, H] out.</summary>
public sealed class ModernBertModel : nn.Module<PackedInput, Tensor>, IModernBertModule
{
    readonly ModernBertEmbeddings embeddings;
    readonly ModuleList<ModernBertEncoderLayer> layers;
    readonly ModernBertLayerNorm final_norm;

    public ModernBertConfig Config { get; }

    /// <summary>A freshly initialised encoder (Hugging Face's truncated-normal scheme).</summary>
    public ModernBertModel(ModernBertConfig config) : this(config, initialize: true) { }

    internal ModernBertModel(ModernBertConfig config, bool initialize) : base("ModernBertModel")
    {
        Config = config.Validate();
        embeddings = new ModernBertEmbeddings(config);
        layers = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(i => new ModernBertEncoderLayer(config, i)).ToArray());
        final_norm = new ModernBertLayerNorm(config);
        RegisterComponents();
        if (initialize) ModernBertInit.Initialize(this, config);
    }

    public ModernBertEmbeddings Embeddings => embeddings;

    public override Tensor forward(PackedInput input)
    {
        var x = embeddings.call(input.InputIds); // [T, H]
        foreach (var layer in layers) x = layer.call(x, input);
        return final_norm.call(x);
    }
}
