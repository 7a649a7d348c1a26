namespace MLNetExt.Blt.MLNet;

/// <summary>Shapes for BLT models trained from scratch on a few thousand texts (no pretrained folder).</summary>
public enum BltPreset
{
    /// <summary>~0.3M parameters: CPU-friendly, for tests and small data sets.</summary>
    Tiny,
    /// <summary>~4M parameters: a few minutes per epoch of a few thousand short texts on a CPU.</summary>
    Small,
}

/// <summary>
/// The preset configs. A model trained from scratch has no entropy model to patch with, so presets patch on spaces
/// (the BLT paper's space patching: a patch ends after a space-like byte), capped at 8 bytes per patch.
/// </summary>
public static class BltPresets
{
    public static BltConfig Config(BltPreset preset) => preset switch
    {
        BltPreset.Tiny => Build(encoder: 64, global: 128, heads: 4, encoderLayers: 1, globalLayers: 2, decoderLayers: 1, hashVocab: 4099),
        BltPreset.Small => Build(encoder: 128, global: 256, heads: 4, encoderLayers: 1, globalLayers: 4, decoderLayers: 2, hashVocab: 16411),
        _ => throw new ArgumentOutOfRangeException(nameof(preset), preset, "Unknown BLT preset."),
    };

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
