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
/// max_position_embeddings), batches of at most --tokens tokens, and a timed loop of --seconds after warm-up.
/// </summary>
public sealed record SpeedWorkload(ModernBertConfig Config, int[] Lengths, int TokenBudget, double Seconds, Device Device)
{
    public const int WarmupBatches = 3;

    public static SpeedWorkload FromArgs(RunnerArgs args, int defaultTokens)
    {
        var config = ModernBertConfigJson.Load(args.Text("config", "tools/gpu/modernbert-base-config.json"));
        var lengths = SpamLengths.Read(args.Text("lengths", SpamLengths.DefaultFile), config.MaxPositionEmbeddings);
        var device = torch.cuda.is_available() ? CUDA : CPU;
        return new SpeedWorkload(config, lengths, (int)args.Number("tokens", defaultTokens), args.Number("seconds", 25), device);
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
    /// Runs <see cref="WarmupBatches"/> batches, then cycles through <paramref name="batches"/> until the time budget
    /// is spent, waiting for the device before starting and stopping the clock. <paramref name="run"/> returns the
    /// batch's real tokens and model FLOPs.
    /// </summary>
    public JsonObject Timed<T>(IReadOnlyList<T> batches, Func<T, (long Tokens, double Flops)> run)
    {
        for (int i = 0; i < Math.Min(WarmupBatches, batches.Count); i++) run(batches[i]);
        Synchronize();
        long tokens = 0, steps = 0;
        double flops = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < Seconds)
        {
            var (t, f) = run(batches[(int)(steps++ % batches.Count)]);
            tokens += t;
            flops += f;
        }
        Synchronize();
        double seconds = clock.Elapsed.TotalSeconds;
        return new JsonObject
        {
            ["ok"] = true,
            ["device"] = Device.type.ToString(),
            ["batches_run"] = steps,
            ["batches_distinct"] = batches.Count,
            ["token_budget"] = TokenBudget,
            ["seconds"] = Math.Round(seconds, 3),
            ["tokens"] = tokens,
            ["tokens_per_s"] = Math.Round(tokens / seconds, 1),
            ["model_flops_per_s"] = flops > 0 ? flops / seconds : null, // training only
            ["config"] = $"H{Config.HiddenSize} L{Config.NumHiddenLayers} I{Config.IntermediateSize} V{Config.VocabSize} max{Config.MaxPositionEmbeddings}",
        };
    }

    void Synchronize()
    {
        if (Device.type == DeviceType.CUDA) torch.cuda.synchronize();
    }
}
