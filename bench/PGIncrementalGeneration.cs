using MLNetExt.Blt;
using MLNetExt.Blt.Patching;
using static TorchSharp.torch;

namespace MLNetExt.Bench;

/// <summary>
/// PG: greedy generation bytes/s with incremental patching (KV caches; the latent model runs once per closed patch)
/// divided by bytes/s re-running the whole prefix each byte, same model and prompt, outputs asserted identical.
/// The model is randomly initialised at the small pre-training size with a sharpened entropy model and a threshold
/// calibrated to 4.5-byte patches, so boundaries are real.
/// </summary>
public sealed class PGIncrementalGeneration : IBenchmark
{
    public string Id => "PG";
    public string Description => "BLT generation bytes/s, incremental patching / re-running the prefix (same bytes asserted)";

    public void Run(string[] args)
    {
        set_num_threads(BenchUtil.Option(args, "threads", Environment.ProcessorCount));
        int bytes = BenchUtil.Option(args, "bytes", 128);
        var config = new MLNetExt.Blt.Training.BltPretrainingOptions { OutputDirectory = "unused" }.ModelConfig();
        manual_seed(0);
        using var probe = new BltModel(config);
        Sharpen(probe);
        string prompt = "Call me Ishmael. Some years ago - never mind how long precisely - ";
        var sample = new List<long[]> { ByteTokenizer.Encode(prompt + "having little or no money in my purse, and nothing particular to interest me on shore, I thought I would sail about a little.") };
        config = config with { PatchingThreshold = ThresholdCalibration.Calibrate(probe.EntropyModel!, sample, 4.5) };
        manual_seed(0);
        using var model = new BltModel(config);
        Sharpen(model);
        model.eval();

        var ids = ByteTokenizer.Encode(prompt);
        var options = new GenerationOptions(MaxNewBytes: bytes, StopAtEos: false);
        long[] cached = [], full = [];
        double cachedSeconds = MLNetExt.Bench.BenchUtil.Time(() => cached = model.Generate(ids, options), 1);
        double fullSeconds = MLNetExt.Bench.BenchUtil.Time(() => full = model.Generate(ids, options with { UseCache = false }), 1);
        if (!cached.SequenceEqual(full))
            throw new InvalidOperationException($"Incremental and full generation differ at byte {cached.Zip(full).TakeWhile(p => p.First == p.Second).Count() - ids.Length}.");
        int patches = model.ScoreIncrementally(cached).LatentRuns;
        Console.WriteLine($"prompt {ids.Length} ids, {bytes} new bytes, {patches} patches over {cached.Length} ids (mean {cached.Length / (double)patches:F2})");
        Console.WriteLine($"incremental {bytes / cachedSeconds:F1} bytes/s, re-running the prefix {bytes / fullSeconds:F1} bytes/s, threads {get_num_threads()}");
        Console.WriteLine($"PG: {fullSeconds / cachedSeconds:F2}");
    }

    /// <summary>Scales the entropy model's head so entropies spread over several nats, as a trained one's do.</summary>
    static void Sharpen(BltModel model)
    {
        using var _ = no_grad();
        foreach (var (name, p) in model.named_parameters())
            if (name == "model.patcher.lm_head.weight") p.mul_(12);
    }
}
