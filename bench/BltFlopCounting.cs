using MLNetExt.Blt;
using MLNetExt.Blt.Patching;
using MLNetExt.Blt.Training;
using MLNetExt.Training;
using MLNetExt.Training.Schedules;
using static TorchSharp.torch;

namespace MLNetExt.Bench;

/// <summary>
/// BFC: what counting FLOPs used to cost a BLT training step with entropy patching. BltTask.FlopsPerToken ran the
/// frozen entropy model over every micro-batch again just to count patches (now it counts the patches the training
/// forward drew). Measured in one run on the same batch: a training step as it is now, and the old count alone
/// (<see cref="BltTask.FlopsPerByte"/>, which still runs the entropy model). Ratio = (step + count) / step: the old
/// step's time over the new one's.
/// </summary>
public sealed class BltFlopCounting : IBenchmark
{
    public string Id => "BFC";
    public string Description => "BLT step with entropy patching: old step (extra entropy forward to count FLOPs) / new step, CPU";

    public void Run(string[] args)
    {
        set_num_threads(BenchUtil.Option(args, "threads", Environment.ProcessorCount));
        int runs = BenchUtil.Option(args, "runs", 5), batchBytes = BenchUtil.Option(args, "batch", 8192), length = BenchUtil.Option(args, "seq", 512);
        // The pre-training defaults' shape (entropy model 128 x 2, local 128, latent 256 x 4), threshold calibrated to 4.5 bytes per patch.
        var options = new BltPretrainingOptions { OutputDirectory = "", SequenceLength = length, BatchBytes = batchBytes };
        var config = options.ModelConfig();
        var texts = Words(new Random(1), 400, 2000);
        var batch = ByteBatches.FromTexts(texts, length, batchBytes)[0];
        manual_seed(1);
        using var entropy = new Blt.Modules.EntropyModel(config.PatcherConfig);
        entropy.eval();
        double threshold;
        using (NewDisposeScope())
            threshold = ThresholdCalibration.Calibrate(entropy, ByteBatches.Documents(batch).Take(16).ToList(), 4.5, config.PatchingMode);
        config = config with { PatchingThreshold = threshold };
        var task = new BltTask(config, entropy);
        using var trainer = new Trainer<BltModel, BltBatch>(task, new TrainerOptions { Schedule = new WarmupLinear(1e-3, 0, 1_000_000), ShowProgress = false, PeakFlops = 1e12 });

        double step = 0, count = 0;
        trainer.TrainStep([batch]);   // warm-up
        for (int r = 0; r < runs; r++)
        {
            // Alternated so that load swings on a shared machine hit both.
            step += BenchUtil.Time(() => trainer.TrainStep([batch]), 1, warmUp: false);
            count += BenchUtil.Time(() => task.FlopsPerByte(batch), 1, warmUp: false);
        }
        (step, count) = (step / runs, count / runs);
        Console.WriteLine($"batch: {ByteBatches.CountTargets(batch):N0} bytes in rows of {length}; mean patch size {task.FlopsPerByte(batch).MeanPatchSize:F2}");
        Console.WriteLine($"training step now {step:F3} s; the old per-micro-batch FLOP count alone {count:F3} s ({count / step:P0} of a step)");
        Console.WriteLine($"BFC: {(step + count) / step:F3}");
    }

    /// <summary>Texts of random lowercase words (no download): entropy patching needs bytes, not meaning.</summary>
    static List<string> Words(Random rng, int texts, int characters) => Enumerable.Range(0, texts).Select(_ =>
    {
        var text = new System.Text.StringBuilder();
        while (text.Length < characters)
            text.Append(new string(Enumerable.Range(0, rng.Next(2, 9)).Select(_ => (char)('a' + rng.Next(26))).ToArray())).Append(rng.Next(8) == 0 ? ". " : " ");
        return text.ToString();
    }).ToList();
}
