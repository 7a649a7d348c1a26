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

    /// <summary>Throws naming the field when the sub-configs cannot fit together.</summary>
    public void Validate()
    {
        Require(EncoderConfig.HiddenSize == DecoderConfig.HiddenSize, $"encoder_config.hidden_size ({EncoderConfig.HiddenSize}) must equal decoder_config.hidden_size ({DecoderConfig.HiddenSize}): the decoder starts from the encoder's byte states.");
        Require(DecoderConfig.HiddenSizeGlobal == GlobalConfig.HiddenSize, $"decoder_config.hidden_size_global ({DecoderConfig.HiddenSizeGlobal}) must equal global_config.hidden_size ({GlobalConfig.HiddenSize}).");
        Require(EncoderConfig.CrossAttnK == CrossAttnK && DecoderConfig.CrossAttnK == CrossAttnK, $"cross_attn_k differs between the model ({CrossAttnK}), encoder ({EncoderConfig.CrossAttnK}) and decoder ({DecoderConfig.CrossAttnK}).");
        Require(VocabSize == ByteTokenizer.VocabSize, $"vocab_size {VocabSize} is not the byte vocabulary {ByteTokenizer.VocabSize}.");
        Require(EncoderHashByteGroupSize.Count > 0 && EncoderHashByteGroupSize.All(n => n >= 1), "encoder_hash_byte_group_size needs at least one n-gram size >= 1.");
        Require(EncoderHashByteGroupVocab > 0 && EncoderHashByteGroupNbFunctions >= 1, "encoder_hash_byte_group_vocab and encoder_hash_byte_group_nb_functions must be positive.");
        Require(PatchSize >= 1, $"patch_size {PatchSize} must be >= 1.");
        Require(MaxPatchLength is null or >= 1, $"max_patch_length {MaxPatchLength} must be >= 1.");
        Require(PatchInForward || PatchingMode is PatchingMode.Space or PatchingMode.Static, $"patching_mode {PatchingMode} needs the entropy model: set patch_in_forward.");
        foreach (var (name, layer) in new[] { ("patcher_config", PatcherConfig.Layer), ("encoder_config", EncoderConfig.Layer), ("decoder_config", DecoderConfig.Layer), ("global_config", GlobalConfig.Layer) })
        {
            Require(layer.HiddenSize % layer.NumAttentionHeads == 0, $"{name}.hidden_size {layer.HiddenSize} is not divisible by num_attention_heads {layer.NumAttentionHeads}.");
            Require(layer.HeadDim % 2 == 0, $"{name} head dim {layer.HeadDim} must be even for rotary embeddings.");
            Require(layer.NumAttentionHeads % layer.NumKeyValueHeads == 0, $"{name}.num_attention_heads {layer.NumAttentionHeads} is not a multiple of num_key_value_heads {layer.NumKeyValueHeads}.");
        }
    }

    static void Require(bool ok, string message)
    {
        if (!ok) throw new ArgumentException("Invalid BLT config: " + message);
    }
}
