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
/// The "p8" command (bench P8, our side): masked-LM training steps of ModernBERT (random weights) through our
/// <see cref="Trainer{TModel,TBatch}"/> with <see cref="ModernBertMaskedLmTask"/> in bf16 (fp32 master weights, AdamW,
/// clip 1.0), one packed batch of the spam corpus's lengths per step, masked (30%) by the task each step. Reports
/// tokens/s and MFU with the task's FLOP count; tools/gpu/hf_speed.py p8 does the same with transformers + torch.autocast.
/// </summary>
public static class P8Training
{
    public static int Run(RunnerArgs args)
    {
        using var journal = new Journal(args.Out, Journal.RunnerName);
        journal.Run("p8.ours", () =>
        {
            var work = SpeedWorkload.FromArgs(args, defaultTokens: 16384);
            var masking = new MlmMaskingOptions(MaskTokenId: Math.Min(50284, work.Config.VocabSize - 1), work.Config.VocabSize,
                [work.Config.ClsTokenId, work.Config.SepTokenId, work.Config.PadTokenId]);
            var batches = ModernBertMaskedLmTask.Unmasked(work.PackedBatches(seed: 8));
            var options = new TrainerOptions
            {
                Schedule = new WarmupLinear(1e-4, 0, int.MaxValue),
                Devices = [work.Device.type == DeviceType.CUDA ? "cuda:0" : "cpu"],
                Precision = TrainingPrecision.BFloat16,
                Seed = 8,
                ShowProgress = false,
            };
            using var trainer = new Trainer<ModernBertForMaskedLM, MaskedBatch>(new ModernBertMaskedLmTask(work.Config, masking), options);
            double lastLoss = double.NaN;
            var result = work.Timed(batches, batch =>
            {
                var step = trainer.TrainStep([batch]);
                lastLoss = step.Loss;
                return (step.Tokens, step.Flops);
            });
            double? peak = PeakFlops.Total([work.Device], ScalarType.BFloat16);
            result["peak_flops"] = peak;
            result["mfu"] = peak is double p ? Math.Round(result["model_flops_per_s"]!.GetValue<double>() / p, 4) : null;
            result["last_loss"] = Math.Round(lastLoss, 4);
            result["precision"] = "bf16 compute, fp32 master weights";
            return result;
        });
        journal.WriteSummary(Path.Combine(args.Out, "results.json"));
        return 0;
    }
}
