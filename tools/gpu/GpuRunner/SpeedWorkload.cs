using System.Diagnostics;
using System.Text.Json.Nodes;
using MLNetExt.ModernBert;
using MLNetExt.Training.Packing;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.GpuRunner;

/// <summary>
/// What P7 and P8 run, shared with tools/gpu/hf_speed.py (which must stay in step with it): a ModernBERT config
/// (--config, HF config.json; random weights), sequence lengths (--lengths, one per line, capped at the config's
/// max_position_embeddings), batches of at most --tokens tokens, a warm-up over every distinct batch or
/// --warmup-seconds (whichever ends first), then at least --steps timed batches and --seconds, at most --max-seconds;
/// --phase-steps batches more in the diagnostic mode (a device synchronisation after every phase) give the breakdown.
/// </summary>
public sealed record SpeedWorkload(ModernBertConfig Config, int[] Lengths, int TokenBudget, Device Device,
    double WarmupSeconds, int MinSteps, double MinSeconds, double MaxSeconds, int PhaseSteps)
{
    public static SpeedWorkload FromArgs(RunnerArgs args, int defaultTokens)
    {
        var config = ModernBertConfigJson.Load(args.Text("config", "tools/gpu/modernbert-base-config.json"));
        var lengths = SpamLengths.Read(args.Text("lengths", SpamLengths.DefaultFile), config.MaxPositionEmbeddings);
        var device = torch.cuda.is_available() ? new Device(DeviceType.CUDA, 0) : CPU;
        return new SpeedWorkload(config, lengths, (int)args.Number("tokens", defaultTokens), device,
            args.Number("warmup-seconds", 30), (int)args.Number("steps", 200), args.Number("seconds", 0), args.Number("max-seconds", 180),
            (int)args.Number("phase-steps", 16));
    }

    /// <summary>Best-fit packed batches of random token ids ([CLS] ... [SEP]), in a seeded random order.</summary>
    public List<PackedBatch> PackedBatches(int seed)
    {
        var rng = new Random(seed);
        int top = Math.Min(Config.VocabSize, 50280); // ordinary tokens: below ModernBERT's specials
        var batches = Packer.BestFit(Lengths, TokenBudget).Select(rows => PackedBatch.FromSequences(rows.Select(r =>
        {
            var ids = new long[Lengths[r]];
            for (int i = 0; i < ids.Length; i++) ids[i] = rng.Next(5, top);
            ids[0] = Config.ClsTokenId;
            ids[^1] = Config.SepTokenId;
            return ids;
        }).ToArray(), rows)).ToList();
        return [.. batches.OrderBy(_ => rng.Next())];
    }

    /// <summary>
    /// Warm-up, then the timed loop, each between device synchronisations. <paramref name="run"/>(first batch index)
    /// consumes <paramref name="batchesPerCall"/> consecutive batches (cycling) and returns their real tokens and model FLOPs.
    /// </summary>
    public JsonObject Timed(int batchCount, int batchesPerCall, Func<int, (long Tokens, double Flops)> run)
    {
        int next = 0;
        var clock = Stopwatch.StartNew();
        do { run(next); next += batchesPerCall; }
        while (next < batchCount && clock.Elapsed.TotalSeconds < WarmupSeconds);
        Synchronize();
        double warmup = clock.Elapsed.TotalSeconds;
        long tokens = 0, steps = 0;
        double flops = 0;
        clock.Restart();
        while ((steps < MinSteps || clock.Elapsed.TotalSeconds < MinSeconds) && clock.Elapsed.TotalSeconds < MaxSeconds)
        {
            var (t, f) = run(next);
            next += batchesPerCall;
            steps += batchesPerCall;
            tokens += t;
            flops += f;
        }
        Synchronize();
        double seconds = clock.Elapsed.TotalSeconds;
        return new JsonObject
        {
            ["ok"] = true,
            ["device"] = Device.ToString(),
            ["warmup_batches"] = Math.Min(next - steps, batchCount),
            ["warmup_seconds"] = Math.Round(warmup, 3),
            ["batches_run"] = steps,
            ["batches_distinct"] = batchCount,
            ["batches_per_step"] = batchesPerCall,
            ["token_budget"] = TokenBudget,
            ["seconds"] = Math.Round(seconds, 3),
            ["tokens"] = tokens,
            ["tokens_per_s"] = Math.Round(tokens / seconds, 1),
            ["model_flops_per_s"] = flops > 0 ? flops / seconds : null, // training only
            ["config"] = $"H{Config.HiddenSize} L{Config.NumHiddenLayers} I{Config.IntermediateSize} V{Config.VocabSize} max{Config.MaxPositionEmbeddings}",
        };
    }

    public void Synchronize()
    {
        if (Device.type == DeviceType.CUDA) torch.cuda.synchronize(Device);
    }
}
