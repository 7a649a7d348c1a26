using MLNetExt.Training.Checkpoints;

namespace MLNetExt.Blt;

/// <summary>How byte positions are grouped into patches (see <see cref="Patching.Patcher"/>).</summary>
public enum PatchingMode
{
    /// <summary>Byte t starts a patch iff H(x_t | x_&lt;t) &gt; threshold.</summary>
    Entropy,
    /// <summary>Approximate monotonic constraint: byte t starts a patch iff H_t - H_(t-1) &gt; threshold.</summary>
    MonotonicEntropy,
    /// <summary>A patch starts after a space-like byte once the current patch holds a non-space-like byte.</summary>
    Space,
    /// <summary>Fixed-size patches of <see cref="BltConfig.PatchSize"/> bytes after BOS.</summary>
    Static,
}

/// <summary>The shape of one pre-norm transformer layer (attention + SwiGLU), shared by all four BLT stacks.</summary>
public sealed record LayerShape(int HiddenSize, int NumAttentionHeads, int NumKeyValueHeads, int IntermediateSize, double RmsNormEps, double RopeTheta)
{
    public int HeadDim => HiddenSize / NumAttentionHeads;
}

/// <summary>HF <c>BltPatcherConfig</c>: the small causal byte LM whose next-byte entropies place patch boundaries.</summary>
public sealed record BltPatcherConfig(
    int VocabSize = 260, int HiddenSize = 768, int NumHiddenLayers = 14, int NumAttentionHeads = 12, int? NumKeyValueHeads = null,
    int MaxPositionEmbeddings = 8192, double RmsNormEps = 1e-5, int IntermediateSize = 2048, double RopeTheta = 10000)
{
    public LayerShape Layer => new(HiddenSize, NumAttentionHeads, NumKeyValueHeads ?? NumAttentionHeads, IntermediateSize, RmsNormEps, RopeTheta);

    /// <summary>Throws naming the field (<c>patcher_config.*</c>) when a size is out of range or inconsistent.</summary>
    public void Validate()
    {
        BltConfig.InRange(NumHiddenLayers, ModelSize.MaxLayers, "patcher_config.num_hidden_layers");
        BltConfig.InRange(MaxPositionEmbeddings, ModelSize.MaxPositions, "patcher_config.max_position_embeddings");
        BltConfig.CheckVocab(VocabSize, "patcher_config");
        BltConfig.CheckLayer("patcher_config", Layer);
    }

    /// <summary>The most byte ids a row may hold, and the config key that says so.</summary>
    internal (int Positions, string Key) BytePositions => (MaxPositionEmbeddings, "patcher_config.max_position_embeddings");

    /// <summary>Parameters of the <see cref="Modules.EntropyModel"/> this (validated) config builds.</summary>
    public long ParameterCount() => (2L * VocabSize * HiddenSize) + (NumHiddenLayers * BltConfig.LayerParameters(Layer)) + HiddenSize;
}

/// <summary>HF <c>BltLocalEncoderConfig</c>. <see cref="SlidingWindow"/> (bytes, null = whole document) is BLT's local attention window.</summary>
public sealed record BltLocalEncoderConfig(
    int VocabSize = 260, bool CrossAttnAllLayers = false, int CrossAttnK = 2, int HiddenSizeGlobal = 2048, int HiddenSize = 1024,
    int NumAttentionHeads = 16, int? NumKeyValueHeads = null, int NumHiddenLayers = 1, double RmsNormEps = 1e-5,
    int MaxPositionEmbeddings = 24576, int IntermediateSize = 2816, double RopeTheta = 500000, int? SlidingWindow = null)
{
    public LayerShape Layer => new(HiddenSize, NumAttentionHeads, NumKeyValueHeads ?? NumAttentionHeads, IntermediateSize, RmsNormEps, RopeTheta);
}

/// <summary>HF <c>BltLocalDecoderConfig</c>; same fields as the encoder, cross-attention in every layer by default.</summary>
public sealed record BltLocalDecoderConfig(
    int VocabSize = 260, bool CrossAttnAllLayers = true, int CrossAttnK = 2, int HiddenSizeGlobal = 2048, int HiddenSize = 1024,
    int NumAttentionHeads = 16, int? NumKeyValueHeads = null, int NumHiddenLayers = 9, double RmsNormEps = 1e-5,
    int MaxPositionEmbeddings = 24576, int IntermediateSize = 2816, double RopeTheta = 500000, int? SlidingWindow = null)
{
    public LayerShape Layer => new(HiddenSize, NumAttentionHeads, NumKeyValueHeads ?? NumAttentionHeads, IntermediateSize, RmsNormEps, RopeTheta);
}

/// <summary>HF <c>BltGlobalTransformerConfig</c>: the latent transformer over patches.</summary>
public sealed record BltGlobalTransformerConfig(
    int HiddenSize = 2048, int NumAttentionHeads = 16, int? NumKeyValueHeads = null, int NumHiddenLayers = 25, double RmsNormEps = 1e-5,
    int MaxPositionEmbeddings = 4096, int IntermediateSize = 5632, double RopeTheta = 500000)
{
    public LayerShape Layer => new(HiddenSize, NumAttentionHeads, NumKeyValueHeads ?? NumAttentionHeads, IntermediateSize, RmsNormEps, RopeTheta);
}

/// <summary>
/// HF <c>BltConfig</c> (defaults = HF defaults). Shape only; serialised as HF's config.json by <see cref="BltConfigJson"/>.
/// </summary>
public sealed record BltConfig
{
    public int VocabSize { get; init; } = ByteTokenizer.VocabSize;
    public int MaxPositionEmbeddings { get; init; } = 4096;
    /// <summary>When true the model owns an entropy model (<c>model.patcher.*</c>) and patches inside the forward pass.</summary>
    public bool PatchInForward { get; init; } = true;
    public int PatchSize { get; init; } = 4;
    public PatchingMode PatchingMode { get; init; } = PatchingMode.Entropy;
    public double PatchingThreshold { get; init; } = 1.335442066192627;
    public int? MaxPatchLength { get; init; }
    public int CrossAttnK { get; init; } = 2;
    public IReadOnlyList<int> EncoderHashByteGroupSize { get; init; } = [3, 4, 5, 6, 7, 8];
    public int EncoderHashByteGroupVocab { get; init; } = 500002;
    public int EncoderHashByteGroupNbFunctions { get; init; } = 1;
    public BltPatcherConfig PatcherConfig { get; init; } = new();
    public BltLocalEncoderConfig EncoderConfig { get; init; } = new();
    public BltLocalDecoderConfig DecoderConfig { get; init; } = new();
    public BltGlobalTransformerConfig GlobalConfig { get; init; } = new();

    /// <summary>Width of one patch entering the latent model: k pooled queries of the encoder's width, concatenated.</summary>
    public int EncoderCrossOutputSize => EncoderConfig.HiddenSize * CrossAttnK;

    /// <summary>
    /// Throws naming the field when a size is out of its sane range (<see cref="ModelSize"/>) or the sub-configs cannot
    /// fit together. Runs before any module is built, so a corrupt config never reaches the allocator.
    /// </summary>
    public void Validate()
    {
        InRange(MaxPositionEmbeddings, ModelSize.MaxPositions, "max_position_embeddings");
        Require(VocabSize == ByteTokenizer.VocabSize, $"vocab_size {VocabSize} is not the byte vocabulary {ByteTokenizer.VocabSize}.");
        InRange(CrossAttnK, MaxSmall, "cross_attn_k");
        InRange(EncoderHashByteGroupVocab, ModelSize.MaxVocabSize, "encoder_hash_byte_group_vocab");
        InRange(EncoderHashByteGroupNbFunctions, MaxSmall, "encoder_hash_byte_group_nb_functions");
        Require(EncoderHashByteGroupSize.Count is > 0 and <= MaxSmall, $"encoder_hash_byte_group_size needs 1 to {MaxSmall} n-gram sizes, got {EncoderHashByteGroupSize.Count}.");
        foreach (int n in EncoderHashByteGroupSize) InRange(n, MaxSmall, "encoder_hash_byte_group_size");
        InRange(PatchSize, ModelSize.MaxPositions, "patch_size");
        if (MaxPatchLength is int maxPatch) InRange(maxPatch, ModelSize.MaxPositions, "max_patch_length");
        Require(double.IsFinite(PatchingThreshold), $"patching_threshold must be a finite number, got {PatchingThreshold}.");
        Require(PatchInForward || PatchingMode is PatchingMode.Space or PatchingMode.Static, $"patching_mode {PatchingMode} needs the entropy model: set patch_in_forward.");
        PatcherConfig.Validate();
        CheckStack("encoder_config", EncoderConfig.Layer, EncoderConfig.NumHiddenLayers, EncoderConfig.MaxPositionEmbeddings, EncoderConfig.VocabSize, EncoderConfig.SlidingWindow);
        CheckStack("decoder_config", DecoderConfig.Layer, DecoderConfig.NumHiddenLayers, DecoderConfig.MaxPositionEmbeddings, DecoderConfig.VocabSize, DecoderConfig.SlidingWindow);
        CheckStack("global_config", GlobalConfig.Layer, GlobalConfig.NumHiddenLayers, GlobalConfig.MaxPositionEmbeddings, null, null);
        Require(EncoderConfig.HiddenSize == DecoderConfig.HiddenSize, $"encoder_config.hidden_size ({EncoderConfig.HiddenSize}) must equal decoder_config.hidden_size ({DecoderConfig.HiddenSize}): the decoder starts from the encoder's byte states.");
        Require(DecoderConfig.HiddenSizeGlobal == GlobalConfig.HiddenSize, $"decoder_config.hidden_size_global ({DecoderConfig.HiddenSizeGlobal}) must equal global_config.hidden_size ({GlobalConfig.HiddenSize}).");
        Require(EncoderConfig.CrossAttnK == CrossAttnK && DecoderConfig.CrossAttnK == CrossAttnK, $"cross_attn_k differs between the model ({CrossAttnK}), encoder ({EncoderConfig.CrossAttnK}) and decoder ({DecoderConfig.CrossAttnK}).");
    }

    /// <summary>The most byte ids a row may hold: the smallest context of the stacks that see bytes, and its config key.</summary>
    internal (int Positions, string Key) BytePositions => new[]
    {
        (EncoderConfig.MaxPositionEmbeddings, "encoder_config.max_position_embeddings"),
        (DecoderConfig.MaxPositionEmbeddings, "decoder_config.max_position_embeddings"),
        PatchInForward ? PatcherConfig.BytePositions : (int.MaxValue, ""),
    }.MinBy(p => p.Item1);

    /// <summary>
    /// Parameters of <see cref="BltModel"/> built from this (validated) config: what any matching checkpoint holds at
    /// least. Counted from the config alone, so it can be checked before anything is allocated.
    /// </summary>
    public long ParameterCount()
    {
        long e = EncoderConfig.HiddenSize, k = CrossAttnK;
        long encoder = (EncoderConfig.NumHiddenLayers * LayerParameters(EncoderConfig.Layer)) + (e * e * k) + ((long)EncoderConfig.VocabSize * e)
            + (Crosses(EncoderConfig.CrossAttnAllLayers, EncoderConfig.NumHiddenLayers) * CrossParameters(EncoderConfig.Layer));
        long decoder = (DecoderConfig.NumHiddenLayers * LayerParameters(DecoderConfig.Layer)) + ((long)DecoderConfig.HiddenSizeGlobal * DecoderConfig.HiddenSize * k)
            + DecoderConfig.HiddenSize + (Crosses(DecoderConfig.CrossAttnAllLayers, DecoderConfig.NumHiddenLayers) * CrossParameters(DecoderConfig.Layer));
        long g = GlobalConfig.HiddenSize;
        long global = (GlobalConfig.NumHiddenLayers * LayerParameters(GlobalConfig.Layer)) + (EncoderCrossOutputSize != g ? EncoderCrossOutputSize * g : 0);
        long hash = (long)EncoderHashByteGroupVocab * EncoderHashByteGroupNbFunctions * EncoderHashByteGroupSize.Count * e;
        long lmHead = (long)DecoderConfig.HiddenSize * VocabSize;
        return encoder + decoder + global + hash + lmHead + (PatchInForward ? PatcherConfig.ParameterCount() : 0);
    }

    // Counts, widths and n-gram sizes that real models keep in single digits.
    const int MaxSmall = 64;

    internal static long LayerParameters(LayerShape l) => AttentionParameters(l) + (3L * l.HiddenSize * l.IntermediateSize) + (2L * l.HiddenSize);

    static long CrossParameters(LayerShape l) => AttentionParameters(l) + (2L * l.HiddenSize);

    static long AttentionParameters(LayerShape l)
    {
        long h = l.HiddenSize, kv = (long)l.NumKeyValueHeads * l.HeadDim;
        return (2 * h * h) + (2 * h * kv);
    }

    static long Crosses(bool allLayers, int layers) => allLayers ? layers : 1;

    static void CheckStack(string name, LayerShape layer, int layers, int maxPositions, int? vocab, int? slidingWindow)
    {
        InRange(layers, ModelSize.MaxLayers, $"{name}.num_hidden_layers");
        InRange(maxPositions, ModelSize.MaxPositions, $"{name}.max_position_embeddings");
        if (vocab is int v) CheckVocab(v, name);
        if (slidingWindow is int window) InRange(window, ModelSize.MaxPositions, $"{name}.sliding_window");
        CheckLayer(name, layer);
    }

    internal static void CheckVocab(int vocab, string name)
    {
        InRange(vocab, ModelSize.MaxVocabSize, $"{name}.vocab_size");
        Require(vocab >= ByteTokenizer.VocabSize, $"{name}.vocab_size {vocab} is smaller than the byte vocabulary {ByteTokenizer.VocabSize}.");
    }

    internal static void CheckLayer(string name, LayerShape layer)
    {
        InRange(layer.HiddenSize, ModelSize.MaxHiddenSize, $"{name}.hidden_size");
        InRange(layer.NumAttentionHeads, layer.HiddenSize, $"{name}.num_attention_heads");
        InRange(layer.NumKeyValueHeads, layer.NumAttentionHeads, $"{name}.num_key_value_heads");
        InRange(layer.IntermediateSize, ModelSize.MaxIntermediateSize, $"{name}.intermediate_size");
        Require(layer.HiddenSize % layer.NumAttentionHeads == 0, $"{name}.hidden_size {layer.HiddenSize} is not divisible by num_attention_heads {layer.NumAttentionHeads}.");
        Require(layer.HeadDim % 2 == 0, $"{name} head dim {layer.HeadDim} must be even for rotary embeddings.");
        Require(layer.NumAttentionHeads % layer.NumKeyValueHeads == 0, $"{name}.num_attention_heads {layer.NumAttentionHeads} is not a multiple of num_key_value_heads {layer.NumKeyValueHeads}.");
        Require(layer.RmsNormEps > 0, $"{name}.rms_norm_eps must be positive, got {layer.RmsNormEps}.");
        Require(layer.RopeTheta > 0, $"{name}.rope_parameters.rope_theta must be positive, got {layer.RopeTheta}.");
    }

    internal static void InRange(int value, int max, string field) =>
        Require(value >= 1 && value <= max, $"{field} must be in [1, {max}], got {value}.");

    internal static void Require(bool ok, string message)
    {
        if (!ok) throw new ArgumentException("Invalid BLT config: " + message);
    }
}
