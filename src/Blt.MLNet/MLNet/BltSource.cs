using MLNetExt.Blt.Patching;

namespace MLNetExt.Blt.MLNet;

/// <summary>Shapes for BLT models trained from scratch on a few thousand texts (no pretrained folder).</summary>
public enum BltSize
{
    /// <summary>~0.3M parameters: seconds per epoch, for tests and smoke runs.</summary>
    Tiny,
    /// <summary>~4M parameters: a few minutes per epoch of a few thousand short texts on a laptop CPU.</summary>
    Small,
}

/// <summary>
/// Where a BLT trainer's model comes from: a BLT folder (Hugging Face layout: <c>config.json</c> +
/// <c>model.safetensors</c>) to fine-tune, or a fresh model of a given shape. A model trained from scratch has no
/// entropy model to patch with, so its shape must patch without one (the presets patch on spaces, as the BLT
/// paper's space patching: a patch ends after a space-like byte, capped at 8 bytes).
/// </summary>
public sealed record BltSource
{
    /// <summary>The BLT folder, or null for a model trained from scratch.</summary>
    public string? Folder { get; }
    /// <summary>The from-scratch shape, or null for a folder.</summary>
    public BltConfig? Config { get; }

    BltSource(string? folder, BltConfig? config) => (Folder, Config) = (folder, config);

    /// <summary>A BLT folder; its entropy model stays frozen, the classifier head (if any) is new.</summary>
    public static BltSource Pretrained(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        return new(folder, null);
    }

    /// <summary>A fresh model of a preset shape.</summary>
    public static BltSource FromScratch(BltSize size = BltSize.Small) => new(null, Preset(size));

    /// <summary>A fresh model of the shape <paramref name="config"/> gives; it must patch without an entropy model.</summary>
    public static BltSource FromScratch(BltConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (Patcher.FromConfig(config).NeedsEntropies)
            throw new ArgumentException($"A BLT trained from scratch has no trained entropy model, so {config.PatchingMode} patching cannot work; use space or static patching.", nameof(config));
        return new(null, config);
    }

    public static BltConfig Preset(BltSize size) => size switch
    {
        BltSize.Tiny => Build(encoder: 64, global: 128, heads: 4, encoderLayers: 1, globalLayers: 2, decoderLayers: 1, hashVocab: 4099),
        BltSize.Small => Build(encoder: 128, global: 256, heads: 4, encoderLayers: 1, globalLayers: 4, decoderLayers: 2, hashVocab: 16411),
        _ => throw new ArgumentOutOfRangeException(nameof(size), size, "Unknown BLT size."),
    };

    /// <summary>The starting shape: the folder's config.json, or the from-scratch config.</summary>
    public BltConfig Resolve() => Folder is null ? Config! : BltConfigJson.Read(Path.Combine(Folder, BltCheckpoint.ConfigFile));

    /// <summary>The folder's weights to start from (the caller disposes them), or null from scratch.</summary>
    internal BltModel? LoadPretrained() => Folder is null ? null : BltCheckpoint.Load(Folder);

    public override string ToString() => Folder is null ? "from scratch" : $"BLT folder {Folder}";

    static BltConfig Build(int encoder, int global, int heads, int encoderLayers, int globalLayers, int decoderLayers, int hashVocab) => new()
    {
        PatchInForward = false,
        PatchingMode = PatchingMode.Space,
        MaxPatchLength = 8,
        MaxPositionEmbeddings = 8192,
        EncoderHashByteGroupSize = [3, 4, 5],
        EncoderHashByteGroupVocab = hashVocab,
        EncoderConfig = new BltLocalEncoderConfig(HiddenSize: encoder, HiddenSizeGlobal: global, NumAttentionHeads: heads,
            NumHiddenLayers: encoderLayers, IntermediateSize: encoder * 2, SlidingWindow: 256),
        GlobalConfig = new BltGlobalTransformerConfig(HiddenSize: global, NumAttentionHeads: heads, NumHiddenLayers: globalLayers,
            IntermediateSize: global * 2),
        DecoderConfig = new BltLocalDecoderConfig(HiddenSize: encoder, HiddenSizeGlobal: global, NumAttentionHeads: heads,
            NumHiddenLayers: decoderLayers, IntermediateSize: encoder * 2, SlidingWindow: 256),
    };
}
