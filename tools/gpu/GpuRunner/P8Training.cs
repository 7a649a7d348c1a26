using System.Text.Json.Nodes;
using MLNetExt.ModernBert;
using MLNetExt.ModernBert.Training;
using MLNetExt.Training;
using MLNetExt.Training.Objectives;
using MLNetExt.Training.Schedules;
using MLNetExt.Training.Telemetry;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.GpuRunner;

/// <summary>
/// The "p8" command (bench P8, our side): masked-LM training of ModernBERT (random weights) through our
/// <see cref="Trainer{TModel,TBatch}"/> with <see cref="ModernBertMaskedLmTask"/> in bf16 (fp32 master weights, AdamW,
/// clip 1.0), packed batches of the spam corpus's lengths, masked (30%) by the task each step, accumulated to at least
/// --step-tokens (262,144, ModernBERT's recipe) per optimizer step. Each step queues the next one's forward/backward
/// before returning and no result is read until the end, as Fit does minus its per-step report. Reports tokens/s and
/// MFU with the task's FLOP count, then the per-phase breakdown in the trainer's diagnostic mode;
/// tools/gpu/hf_speed.py p8 does the same with transformers + torch.autocast.
/// </summary>
public static class P8Training
{
    public static int Run(RunnerArgs args)
    {
        using var journal = new Journal(args.Out, Journal.RunnerName);
        bool flash = args.Number("flash", 0) != 0;
        journal.Run(flash ? "p8.ours_flash" : "p8.ours", () =>
        {
            PackedInput.FlashOnCuda = flash;
            var work = SpeedWorkload.FromArgs(args, defaultTokens: 16384);
            int accumulate = (int)Math.Ceiling(args.Number("step-tokens", 262144) / work.TokenBudget);
            var masking = new MlmMaskingOptions(MaskTokenId: Math.Min(50284, work.Config.VocabSize - 1), work.Config.VocabSize,
                [work.Config.ClsTokenId, work.Config.SepTokenId, work.Config.PadTokenId]);
            var batches = ModernBertMaskedLmTask.Unmasked(work.PackedBatches(seed: 8));
            var options = new TrainerOptions
            {
                Schedule = new WarmupLinear(1e-4, 0, int.MaxValue),
                Devices = [work.Device.ToString()],
                Precision = TrainingPrecision.BFloat16,
                Seed = 8,
                ShowProgress = false,
            };
            using var trainer = new Trainer<ModernBertForMaskedLM, MaskedBatch>(new ModernBertMaskedLmTask(work.Config, masking), options);
            MaskedBatch[] Step(int first) => Enumerable.Range(first, accumulate).Select(i => batches[i % batches.Count]).ToArray();
            StepResult? last = null;
            var result = work.Timed(batches.Count, accumulate, first =>
            {
                last = trainer.TrainStep(Step(first), Step(first + accumulate));
                return (last.Tokens, last.Flops);
            });
            double? peak = PeakFlops.Total([work.Device], ScalarType.BFloat16);
            result["peak_flops"] = peak;
            result["mfu"] = peak is double p ? Math.Round(result["model_flops_per_s"]!.GetValue<double>() / p, 4) : null;
            result["last_loss"] = Math.Round(last!.Loss, 4);
            result["steps_applied"] = trainer.Step;
            result["phases_ms"] = Phases(trainer, work, accumulate, Step);
            result["precision"] = "bf16 compute, fp32 master weights";
            result["flash"] = flash;
            return result;
        });
        journal.WriteSummary(Path.Combine(args.Out, "results.json"));
        return 0;
    }

    /// <summary>Diagnostic mode: optimizer steps with a device synchronisation after each phase; mean ms per optimizer step.</summary>
    static JsonObject Phases(Trainer<ModernBertForMaskedLM, MaskedBatch> trainer, SpeedWorkload work, int accumulate, Func<int, MaskedBatch[]> step)
    {
        int steps = Math.Max(1, work.PhaseSteps / accumulate);
        trainer.SyncEachPhase = true;
        var timings = Enumerable.Range(0, steps).Select(i =>
        {
            var r = trainer.TrainStep(step(i * accumulate));
            _ = r.Loss; // read now, so Total is this step's own time
            return r;
        }).ToList();
        trainer.SyncEachPhase = false;
        double Ms(Func<StepResult, TimeSpan> f) => Math.Round(timings.Average(r => f(r).TotalMilliseconds), 3);
        return new JsonObject
        {
            ["optimizer_steps"] = steps,
            ["batches_per_step"] = accumulate,
            ["prepare"] = Ms(r => r.Timings.Prepare),
            ["forward"] = Ms(r => r.Timings.Forward),
            ["backward"] = Ms(r => r.Timings.Backward),
            ["reduce"] = Ms(r => r.Timings.Reduce),
            ["optimizer"] = Ms(r => r.Timings.Optimizer),
            ["total"] = Ms(r => r.Total),
        };
    }
}
