using MLNetExt.Blt;
using static TorchSharp.torch;

namespace MLNetExt.Tests.Blt;

/// <summary>A BLT small enough for CPU tests; every width differs so mix-ups show as shape errors.</summary>
static class TinyBlt
{
    /// <summary>Entropy thresholds are set by <see cref="Model"/> from sample entropies.</summary>
    public static BltConfig Config(PatchingMode mode = PatchingMode.Entropy, int? maxPatchLength = null) => new()
    {
        PatchingMode = mode,
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
    /// Seeded model whose entropy model is sharpened (lm_head × 12) so entropies spread over several nats instead of
    /// sitting at ln 260 for every byte; entropy thresholds are chosen so boundaries are real and varied.
    /// </summary>
    public static BltModel Model(BltConfig? config = null, int seed = 7)
    {
        config ??= Config();
        if (config.PatchingMode is PatchingMode.Entropy or PatchingMode.MonotonicEntropy)
        {
            // Put the threshold mid-way between two neighbouring entropies at the 70th percentile of sample text, so
            // about 30% of bytes open a patch (max patch length aside) and no sample entropy sits on the threshold.
            using var probe = Build(config, seed);
            using var h = probe.EntropyModel!.Entropies(BltBatch.FromDocuments([RandomDocument(new Random(seed), 200)]));
            var values = h.data<float>().ToArray();
            if (config.PatchingMode == PatchingMode.MonotonicEntropy) values = values.Skip(1).Select((v, i) => v - values[i]).ToArray();
            Array.Sort(values);
            int at = values.Length * 7 / 10;
            config = config with { PatchingThreshold = (values[at] + values[at + 1]) / 2 };
        }
        return Build(config, seed);
    }

    static BltModel Build(BltConfig config, int seed)
    {
        set_num_threads(1);
        manual_seed(seed);
        var model = new BltModel(config);
        using (no_grad())
            foreach (var (name, p) in model.named_parameters())
                if (name == "model.patcher.lm_head.weight") p.mul_(12);
        model.eval();
        return model;
    }

    public static long[] RandomDocument(Random rng, int bytes) =>
        ByteTokenizer.Encode(Enumerable.Range(0, bytes).Select(_ => (byte)rng.Next(32, 127)).ToArray(), addBos: true, addEos: true);
}
