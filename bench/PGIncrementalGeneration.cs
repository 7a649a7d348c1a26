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
        int bytes = BenchUtil.Option(args, "bytes", 192);
        var config = new MLNetExt.Blt.Training.BltPretrainingOptions { OutputDirectory = "unused" }.ModelConfig();
        manual_seed(0);
        using var probe = new BltModel(config);
        Sharpen(probe);
        string prompt = "Call me Ishmael. Some years ago - never mind how long precisely - having little or no money in my purse, ";
        var sample = new List<long[]> { ByteTokenizer.Encode(prompt + "and nothing particular to interest me on shore, I thought I would sail about a little.") };
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
        if (Environment.GetEnvironmentVariable("PG_DEBUG") is not null)
        {
            var (inc, runs) = model.ScoreIncrementally(full);
            using var logits = model.forward(BltBatch.ForInference([full]));
            var f = logits[0].cpu().data<float>().ToArray();
            var layout = model.Patch(BltBatch.ForInference([full]));
            Console.WriteLine($"patches full {layout.PatchCounts[0]} incremental runs {runs}");
            using var h = model.EntropyModel!.Entropies(BltBatch.ForInference([full]));
            var ent = h.data<float>().ToArray();
            for (int t = 0; t < full.Length; t++)
            {
                double d = inc[t].Select((v, i) => Math.Abs(v - f[t * 260 + i])).Max();
                var sorted = f.Skip(t * 260).Take(260).OrderDescending().ToArray();
                Console.WriteLine($"t {t} id {full[t]} cached {(t < cached.Length ? cached[t] : -1)} maxdiff {d:E2} gap {sorted[0] - sorted[1]:E2} H {ent[t]:F5} thr {config.PatchingThreshold:F5} pid {layout.PatchIds[t]} dpid {layout.DecoderPatchIds[t]}");
            }
        }
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
