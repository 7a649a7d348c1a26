using MLNetExt.Blt;
using static TorchSharp.torch;

namespace MLNetExt.Tests.Blt;

/// <summary>A BLT small enough for CPU tests; every width differs so mix-ups show as shape errors.</summary>
static class TinyBlt
{
    public static BltConfig Config(PatchingMode mode = PatchingMode.Entropy, double threshold = 3.0, int? maxPatchLength = null) => new()
    {
        PatchingMode = mode,
        PatchingThreshold = threshold,
        PatchSize = 3,
        MaxPatchLength = maxPatchLength,
        EncoderHashByteGroupSize = [3, 4, 5, 6, 7, 8],
        EncoderHashByteGroupVocab = 61,
        PatcherConfig = new BltPatcherConfig(HiddenSize: 24, NumHiddenLayers: 1, NumAttentionHeads: 2, IntermediateSize: 48),
        EncoderConfig = new BltLocalEncoderConfig(HiddenSize: 32, HiddenSizeGlobal: 40, NumAttentionHeads: 2, NumHiddenLayers: 2, IntermediateSize: 64, SlidingWindow: 12),
        GlobalConfig = new BltGlobalTransformerConfig(HiddenSize: 40, NumAttentionHeads: 2, NumKeyValueHeads: 1, NumHiddenLayers: 2, IntermediateSize: 80),
        DecoderConfig = new BltLocalDecoderConfig(HiddenSize: 32, HiddenSizeGlobal: 40, NumAttentionHeads: 4, NumHiddenLayers: 2, IntermediateSize: 64),
    };

    /// <summary>
    /// Seeded model whose entropy model is sharpened (lm_head × 12) so entropies spread over several nats and the
    /// threshold places real, varied boundaries instead of sitting at ln 260 for every byte.
    /// </summary>
    public static BltModel Model(BltConfig? config = null, int seed = 7)
    {
        set_num_threads(1);
        manual_seed(seed);
        var model = new BltModel(config ?? Config());
        using (no_grad())
            foreach (var (name, p) in model.named_parameters())
                if (name == "model.patcher.lm_head.weight") p.mul_(12);
        model.eval();
        return model;
    }

    public static long[] RandomDocument(Random rng, int bytes) =>
        ByteTokenizer.Encode(Enumerable.Range(0, bytes).Select(_ => (byte)rng.Next(32, 127)).ToArray(), addBos: true, addEos: true);
}
