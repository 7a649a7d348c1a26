using MLNetExt.ModernBert;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.GpuRunner;

/// <summary>
/// The "p7" command (bench P7, our side): bf16 inference tokens/s of ModernBERT (random weights) over packed batches
/// of the spam corpus's token lengths. tools/gpu/hf_speed.py p7 measures transformers on the same lengths.
/// </summary>
public static class P7Inference
{
    public static int Run(RunnerArgs args)
    {
        using var journal = new Journal(args.Out, Journal.RunnerName);
        journal.Run("p7.ours", () =>
        {
            var work = SpeedWorkload.FromArgs(args, defaultTokens: 32768);
            using var model = new ModernBertModel(work.Config);
            model.to(work.Device).to(bfloat16).eval();
            var batches = work.PackedBatches(seed: 7);
            using var _ = no_grad();
            var result = work.Timed(batches, batch =>
            {
                using var scope = NewDisposeScope();
                using var input = PackedInput.Create(batch, work.Config, work.Device);
                model.call(input);
                return (batch.TokenCount, 0);
            });
            result["dtype"] = "bfloat16";
            result["sequences"] = work.Lengths.Length;
            return result;
        });
        journal.WriteSummary(Path.Combine(args.Out, "results.json"));
        return 0;
    }
}
