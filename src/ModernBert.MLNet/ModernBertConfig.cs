using System.Collections.Immutable;
using MLNetExt.Training.Checkpoints;

namespace MLNetExt.ModernBert;

/// <summary>Which attention a layer uses; the names are Hugging Face's <c>layer_types</c> values.</summary>
public enum AttentionKind
{
    /// <summary>"full_attention": every token sees its whole sequence.</summary>
    Global,
    /// <summary>"sliding_attention": a token sees tokens at distance at most <c>local_attention / 2</c>.</summary>
    Local,
}

/// <summary>
/// The shape of a ModernBERT model, as in Hugging Face's <c>config.json</c> (defaults = ModernBERT-base).
/// Read with <see cref="ModernBertConfigJson.Parse"/>, written with <see cref="ModernBertConfigJson.ToJson"/>.
/// </summary>
public sealed record ModernBertConfig
{
    public int VocabSize { get; init; } = 50368;
    public int HiddenSize { get; init; } = 768;
    public int IntermediateSize { get; init; } = 1152;
    public int NumHiddenLayers { get; init; } = 22;
    public int NumAttentionHeads { get; init; } = 12;
    public int MaxPositionEmbeddings { get; init; } = 8192;

    /// <summary>Per layer: global or local attention. Empty means "every <see cref="GlobalAttnEveryNLayers"/>-th layer is global".</summary>
    public ImmutableArray<AttentionKind> LayerTypes { get; init; } = [];
    public int GlobalAttnEveryNLayers { get; init; } = 3;
    /// <summary>Total local window; a token attends to tokens at distance at most <c>LocalAttention / 2</c>.</summary>
    public int LocalAttention { get; init; } = 128;
    public double GlobalRopeTheta { get; init; } = 160_000.0;
    public double LocalRopeTheta { get; init; } = 10_000.0;

    public double NormEps { get; init; } = 1e-5;
    public bool NormBias { get; init; }
    public bool AttentionBias { get; init; }
    public bool MlpBias { get; init; }
    public bool DecoderBias { get; init; } = true;
    public bool ClassifierBias { get; init; }
    public string HiddenActivation { get; init; } = "gelu";
    public string ClassifierActivation { get; init; } = "gelu";
    /// <summary>"cls" or "mean".</summary>
    public string ClassifierPooling { get; init; } = "cls";

    public double EmbeddingDropout { get; init; }
    public double AttentionDropout { get; init; }
    public double MlpDropout { get; init; }
    public double ClassifierDropout { get; init; }

    public double InitializerRange { get; init; } = 0.02;
    public double InitializerCutoffFactor { get; init; } = 2.0;

    public int PadTokenId { get; init; } = 50283;
    public int BosTokenId { get; init; } = 50281;
    public int EosTokenId { get; init; } = 50282;
    public int ClsTokenId { get; init; } = 50281;
    public int SepTokenId { get; init; } = 50282;
    public int SparsePredIgnoreIndex { get; init; } = -100;

    /// <summary>Outputs of the classification heads (HF derives it from <c>id2label</c>).</summary>
    public int NumLabels { get; init; } = 2;
    /// <summary>"regression", "single_label_classification", "multi_label_classification" or null (HF infers it).</summary>
    public string? ProblemType { get; init; }

    public int HeadDim => HiddenSize / NumAttentionHeads;
    /// <summary>Largest |i - j| a local layer lets token i see.</summary>
    public int LocalHalfWindow => LocalAttention / 2;

    /// <summary>The attention kind of layer <paramref name="layer"/>, from <see cref="LayerTypes"/> or the every-n rule.</summary>
    public AttentionKind LayerType(int layer) =>
        !LayerTypes.IsEmpty ? LayerTypes[layer] : layer % GlobalAttnEveryNLayers == 0 ? AttentionKind.Global : AttentionKind.Local;

    public double RopeTheta(AttentionKind kind) => kind == AttentionKind.Global ? GlobalRopeTheta : LocalRopeTheta;

    /// <summary>Parameters of the encoder without the token embeddings (the "N" of 6·N·tokens FLOP estimates).</summary>
    public long NonEmbeddingParameterCount()
    {
        long h = HiddenSize, norm = h + (NormBias ? h : 0);
        long attention = 3 * h * h + (AttentionBias ? 3 * h : 0) + h * h + (AttentionBias ? h : 0);
        long mlp = 2L * IntermediateSize * h + (MlpBias ? 2L * IntermediateSize : 0) + IntermediateSize * h + (MlpBias ? h : 0);
        // Every layer has mlp_norm; all but layer 0 have attn_norm; plus the embedding norm and final_norm.
        return NumHiddenLayers * (attention + mlp + norm) + (NumHiddenLayers - 1) * norm + 2 * norm;
    }

    /// <summary>Parameters of <see cref="ModernBertModel"/>: token embeddings plus <see cref="NonEmbeddingParameterCount"/>.</summary>
    public long EncoderParameterCount() => (long)VocabSize * HiddenSize + NonEmbeddingParameterCount();

    /// <summary>ModernBERT-base (149M parameters).</summary>
    public static ModernBertConfig Base { get; } = new();

    /// <summary>ModernBERT-large's shape.</summary>
    public static ModernBertConfig Large { get; } = new() { HiddenSize = 1024, IntermediateSize = 2624, NumHiddenLayers = 28, NumAttentionHeads = 16 };

    /// <summary>A few-thousand-parameter model for tests: 3 layers (global, local, local), head dim 8, window 8.</summary>
    public static ModernBertConfig Tiny { get; } = new()
    {
        VocabSize = 64, HiddenSize = 32, IntermediateSize = 48, NumHiddenLayers = 3, NumAttentionHeads = 4,
        MaxPositionEmbeddings = 256, LocalAttention = 8, PadTokenId = 0, BosTokenId = 1, ClsTokenId = 1, EosTokenId = 2, SepTokenId = 2,
    };

    /// <summary>
    /// Throws, naming the field, when sizes are out of their sane range (<see cref="ModelSize"/>), inconsistent, or a
    /// value is unsupported. Runs before any module is built, so a corrupt config never reaches the allocator.
    /// </summary>
    public ModernBertConfig Validate()
    {
        InRange(VocabSize, ModelSize.MaxVocabSize, "vocab_size");
        InRange(HiddenSize, ModelSize.MaxHiddenSize, "hidden_size");
        InRange(IntermediateSize, ModelSize.MaxIntermediateSize, "intermediate_size");
        InRange(NumHiddenLayers, ModelSize.MaxLayers, "num_hidden_layers");
        InRange(NumAttentionHeads, HiddenSize, "num_attention_heads");
        InRange(MaxPositionEmbeddings, ModelSize.MaxPositions, "max_position_embeddings");
        InRange(GlobalAttnEveryNLayers, int.MaxValue, "global_attn_every_n_layers");
        if (HiddenSize % NumAttentionHeads != 0)
            throw Bad("hidden_size", $"hidden_size {HiddenSize} must be a multiple of num_attention_heads {NumAttentionHeads}.");
        if (HeadDim % 2 != 0)
            throw Bad("hidden_size", $"head dim hidden_size / num_attention_heads = {HeadDim} must be even for rotary embeddings.");
        if (LocalAttention < 2 || LocalAttention % 2 != 0)
            throw Bad("local_attention", $"local_attention must be an even window of at least 2, got {LocalAttention}.");
        if (!LayerTypes.IsDefaultOrEmpty && LayerTypes.Length != NumHiddenLayers)
            throw Bad("layer_types", $"layer_types has {LayerTypes.Length} entries but num_hidden_layers is {NumHiddenLayers}.");
        if (PadTokenId < 0 || PadTokenId >= VocabSize)
            throw Bad("pad_token_id", $"pad_token_id {PadTokenId} is not an id of the vocabulary [0, {VocabSize}).");
        if (!(GlobalRopeTheta > 0)) throw Bad("rope_parameters.full_attention.rope_theta", $"rope theta must be positive, got {GlobalRopeTheta}.");
        if (!(LocalRopeTheta > 0)) throw Bad("rope_parameters.sliding_attention.rope_theta", $"rope theta must be positive, got {LocalRopeTheta}.");
        if (!(NormEps > 0)) throw Bad("norm_eps", $"norm_eps must be positive, got {NormEps}.");
        if (ClassifierPooling is not ("cls" or "mean"))
            throw Bad("classifier_pooling", $"classifier_pooling must be \"cls\" or \"mean\", got \"{ClassifierPooling}\".");
        Activations.Get(HiddenActivation, "hidden_activation");
        Activations.Get(ClassifierActivation, "classifier_activation");
        InRange(NumLabels, ModelSize.MaxVocabSize, "num_labels");
        if (ProblemType is not (null or "regression" or "single_label_classification" or "multi_label_classification"))
            throw Bad("problem_type", $"problem_type \"{ProblemType}\" is not regression, single_label_classification or multi_label_classification.");
        foreach (var (p, name) in new[] { (EmbeddingDropout, "embedding_dropout"), (AttentionDropout, "attention_dropout"), (MlpDropout, "mlp_dropout"), (ClassifierDropout, "classifier_dropout") })
            if (!(p >= 0 && p < 1)) throw Bad(name, $"{name} must be in [0, 1), got {p}.");
        return this;
    }

    static void InRange(int value, int max, string field)
    {
        if (value < 1 || value > max) throw Bad(field, $"{field} must be in [1, {max}], got {value}.");
    }

    static ArgumentException Bad(string field, string message) => new($"ModernBERT config field '{field}': {message}", field);
}
