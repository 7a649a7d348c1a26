using MLNetExt.Blt.Training;
using static TorchSharp.torch;

namespace MLNetExt.Bench;

/// <summary>
/// P6: latent-model training FLOPs per byte of a BLT divided by those of a plain byte-level transformer with the latent
/// model's shape (same width, depth, heads), both trained the same way on Moby Dick (same bytes, batches, steps,
/// schedule, seed) and scored on its held-out last chapters. The ratio is only meaningful at equal quality, so both
/// bits per byte are printed with whether they agree within 0.02, and where on its curve the baseline first reached
/// BLT's. FLOPs count matmuls and attention over the keys each query sees (see TransformerFlops).
/// </summary>
public sealed class P6BltLatentFlops : IBenchmark
{
    public string Id => "P6";
    public string Description => "BLT latent FLOPs/byte / same-size byte transformer FLOPs/byte at equal held-out bits per byte (Moby Dick, CPU)";

    public void Run(string[] args)
    {
        set_num_threads(BenchUtil.Option(args, "threads", Environment.ProcessorCount));
        string dir = Directory.CreateTempSubdirectory("bench-p6-").FullName;
        int steps = BenchUtil.Option(args, "steps", 300);
        var options = new BltPretrainingOptions
        {
            OutputDirectory = dir,
            TrainBytes = BenchUtil.Option(args, "train-kb", 400) * 1000,
            HeldOutFraction = 0.03,
            SequenceLength = BenchUtil.Option(args, "seq", 256),
            BatchBytes = BenchUtil.Option(args, "batch", 2048),
            EntropySteps = BenchUtil.Option(args, "entropy-steps", 200),
            EntropyLearningRate = 3e-3,
            Steps = steps,
            LearningRate = 2e-3,
            WarmupSteps = 20,
            TargetPatchSize = BenchUtil.Option(args, "patch-x10", 45) / 10.0,
            EntropyHiddenSize = 64,
            EntropyLayers = 1,
            LocalHiddenSize = 96,
            EncoderLayers = 1,
            DecoderLayers = 1,
            GlobalHiddenSize = BenchUtil.Option(args, "global-hidden", 192),
            GlobalLayers = BenchUtil.Option(args, "global-layers", 3),
            HashVocab = 4099,
            EvalEvery = Math.Max(1, steps / 10),
            CheckpointEvery = steps,
            Resume = false,
            ShowProgress = true,
        };
        try
        {
            if (BenchUtil.Option(args, "baseline-only", 0) == 1)
            {
                // The baseline half alone (same options), e.g. in a second process beside a slow run.
                var alone = BltPretraining.RunBaseline(options);
                Console.WriteLine($"baseline: held-out {alone.BitsPerByte:F4} bits/byte, FLOPs/byte layers {alone.LayerFlopsPerByte:E3}, with head {alone.FlopsPerByte:E3}");
                Console.WriteLine($"baseline curve: {string.Join(", ", alone.Curve.Select(p => $"{p.Step}:{p.BitsPerByte:F3}"))}");
                return;
            }
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var blt = BltPretraining.Run(options);
            double bltSeconds = clock.Elapsed.TotalSeconds;
            clock.Restart();
            var baseline = BltPretraining.RunBaseline(options);
            double baselineSeconds = clock.Elapsed.TotalSeconds;

            double gap = baseline.BitsPerByte - blt.BitsPerByte;
            var reached = baseline.Curve.FirstOrDefault(p => p.BitsPerByte <= blt.BitsPerByte + 0.02);
            double ratio = blt.Flops.Latent / baseline.LayerFlopsPerByte;
            Console.WriteLine($"train bytes {blt.TrainBytes:N0}, held-out bytes {blt.HeldOutBytes:N0}, {steps} steps of {options.BatchBytes} bytes each model");
            Console.WriteLine($"BLT: held-out {blt.BitsPerByte:F4} bits/byte, mean patch size {blt.Flops.MeanPatchSize:F2} (target {options.TargetPatchSize}), threshold {blt.Threshold:F3}, entropy model alone {blt.EntropyBitsPerByte:F4} bits/byte, {bltSeconds:F0} s");
            Console.WriteLine($"BLT FLOPs/byte: latent {blt.Flops.Latent:E3}, encoder {blt.Flops.Encoder:E3}, decoder {blt.Flops.Decoder:E3}, entropy {blt.Flops.Entropy:E3}, total {blt.Flops.Total:E3}");
            Console.WriteLine($"baseline: held-out {baseline.BitsPerByte:F4} bits/byte, FLOPs/byte layers {baseline.LayerFlopsPerByte:E3}, with head {baseline.FlopsPerByte:E3}, {baselineSeconds:F0} s");
            Console.WriteLine($"baseline curve: {string.Join(", ", baseline.Curve.Select(p => $"{p.Step}:{p.BitsPerByte:F3}"))}");
            Console.WriteLine(Math.Abs(gap) <= 0.02
                ? $"equal quality: bits per byte agree within 0.02 (baseline - BLT = {gap:+0.0000;-0.0000})"
                : gap > 0
                    ? $"NOT equal: BLT is better by {gap:F4} bits/byte; the baseline never reached BLT's quality, so the ratio understates BLT's advantage"
                    : $"NOT equal: the baseline is better by {-gap:F4} bits/byte at the end; it first came within 0.02 of BLT at step {(reached == default ? "never" : reached.Step.ToString())} of {steps}");
            Console.WriteLine($"total training FLOPs/byte, BLT / baseline: {blt.Flops.Total / baseline.FlopsPerByte:F3}");
            Console.WriteLine($"P6: {ratio:F3}");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
