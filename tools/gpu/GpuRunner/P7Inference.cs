using System.Diagnostics;
using System.Text.Json.Nodes;
using MLNetExt.ModernBert;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.GpuRunner;

/// <summary>
/// The "p7" command (bench P7, our side): bf16 inference tokens/s of ModernBERT (random weights) over packed batches
/// of the spam corpus's token lengths. The next batch is planned on a worker thread while the device runs the current
/// one, as a scoring job would; tools/gpu/hf_speed.py p7 prepares transformers' padded batches alike (a producer
/// thread). <c>--flash 1</c> runs attention through the varlen flash kernel (PackedInput.FlashOnCuda).
/// </summary>
public static class P7Inference
{
    public static int Run(RunnerArgs args)
    {
        using var journal = new Journal(args.Out, Journal.RunnerName);
        bool flash = args.Number("flash", 0) != 0;
        journal.Run(flash ? "p7.ours_flash" : "p7.ours", () =>
        {
            PackedInput.FlashOnCuda = flash;
            var work = SpeedWorkload.FromArgs(args, defaultTokens: 32768);
            using var model = new ModernBertModel(work.Config);
            model.to(work.Device).to(bfloat16).eval();
            var batches = work.PackedBatches(seed: 7);
            PackedPlan Plan(int i) => new(batches[i % batches.Count], work.Config, LongInputPolicy.Truncate);
            using var _ = no_grad();
            Task<PackedPlan>? next = null;
            var result = work.Timed(batches.Count, 1, i =>
            {
                var plan = next?.Result ?? Plan(i);
                next = Task.Run(() => Plan(i + 1));
                using var scope = NewDisposeScope();
                using var input = new PackedInput(plan, work.Device);
                model.call(input);
                return (input.TokenCount, 0);
            });
            next?.Result.Dispose();
            result["phases_ms"] = Phases(work, model, batches.Count, Plan);
            result["dtype"] = "bfloat16";
            result["flash"] = flash;
            result["sequences"] = work.Lengths.Length;
            return result;
        });
        journal.WriteSummary(Path.Combine(args.Out, "results.json"));
        return 0;
    }

    /// <summary>Diagnostic mode: mean ms per batch of planning + upload + plan building, and of the forward, each synchronised.</summary>
    static JsonObject Phases(SpeedWorkload work, ModernBertModel model, int count, Func<int, PackedPlan> plan)
    {
        double prepare = 0, forward = 0;
        var clock = new Stopwatch();
        for (int i = 0; i < work.PhaseSteps; i++)
        {
            using var scope = NewDisposeScope();
            clock.Restart();
            using var input = new PackedInput(plan(i % count), work.Device);
            work.Synchronize();
            prepare += clock.Elapsed.TotalMilliseconds;
            clock.Restart();
            model.call(input);
            work.Synchronize();
            forward += clock.Elapsed.TotalMilliseconds;
        }
        int n = Math.Max(work.PhaseSteps, 1);
        return new JsonObject { ["batches"] = work.PhaseSteps, ["prepare"] = Math.Round(prepare / n, 3), ["forward"] = Math.Round(forward / n, 3) };
    }
}
