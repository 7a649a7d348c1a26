using System.Text.Json.Nodes;
using MLNetExt.Blt;
using MLNetExt.Blt.Training;
using MLNetExt.Training;
using MLNetExt.Training.Schedules;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.GpuRunner;

/// <summary>
/// The "blt-cuda" command: the HF BLT fixture (entropy patching) on CUDA beside the CPU, on a batch of mixed lengths
/// (padding, per-length pooling, bool self-attention masks): next-byte logits and pooled latents CUDA vs CPU, each row
/// in the mixed batch vs alone on CUDA; then BLT classifier trainer steps (length buckets, amax pooling backward):
/// two fp32 steps on CUDA and on the CPU (the losses must agree) and one bf16 step on CUDA.
/// <c>--device cpu</c> runs the same steps with the CPU in CUDA's place.
/// </summary>
public static class BltCudaTests
{
    const double Tolerance = 1e-4;

    public static int Run(RunnerArgs args)
    {
        using var journal = new Journal(args.Out, Journal.RunnerName);
        string model = Path.Combine(args.Text("fixtures", "tests/MLNetExt.Tests/Fixtures/hf"), "blt_causal_lm", "model");
        string device = args.Text("device", "cuda:0");
        journal.Run("blt-cuda.mixed_batch_forward", () => MixedForward(model, device));
        journal.Run("blt-cuda.classifier_train_steps", () => ClassifierSteps(model, device));
        journal.WriteSummary(Path.Combine(args.Out, "results.json"));
        return 0;
    }

    /// <summary>A long, a short and a middling document: the short ones pad to the long one's length when batched.</summary>
    static long[][] Documents()
    {
        var rng = new Random(11);
        return new[] { 300, 20, 90 }.Select(n => ByteTokenizer.Encode(new string(Enumerable.Range(0, n)
            .Select(_ => rng.Next(6) == 0 ? ' ' : (char)('a' + rng.Next(26))).ToArray()))).ToArray();
    }

    static JsonObject MixedForward(string modelDir, string device)
    {
        RequireDevice(device);
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var docs = Documents();
        var batch = BltBatch.ForInference(docs);
        var (onDevice, onCpu) = (BltCheckpoint.Load(modelDir), BltCheckpoint.Load(modelDir));
        onDevice.to(new Device(device)).eval();
        onCpu.eval();
        var logits = onDevice.forward(batch).cpu();
        var cpuLogits = onCpu.forward(batch);
        var pooled = BltForSequenceClassification.PooledLatents(onDevice, batch).cpu();
        var cpuPooled = BltForSequenceClassification.PooledLatents(onCpu, batch);
        double logitsDiff = 0, aloneDiff = 0;
        for (int r = 0; r < docs.Length; r++)
        {
            var mine = logits[r].narrow(0, 0, docs[r].Length);
            logitsDiff = Math.Max(logitsDiff, MaxDiff(mine, cpuLogits[r].narrow(0, 0, docs[r].Length)));
            aloneDiff = Math.Max(aloneDiff, MaxDiff(mine, onDevice.forward(BltBatch.ForInference([docs[r]]))[0].cpu()));
        }
        double scale = cpuLogits.abs().max().item<float>(), pooledDiff = MaxDiff(pooled, cpuPooled);
        return new JsonObject
        {
            ["ok"] = logitsDiff <= Tolerance * scale && aloneDiff <= Tolerance * scale && pooledDiff <= Tolerance * cpuPooled.abs().max().item<float>(),
            ["device"] = device,
            ["max_abs_logits"] = scale,
            ["max_abs_diff_logits_device_vs_cpu"] = logitsDiff,
            ["max_abs_diff_logits_mixed_vs_alone"] = aloneDiff,
            ["max_abs_diff_pooled_device_vs_cpu"] = pooledDiff,
        };
    }

    static double[] Losses(string modelDir, string on, TrainingPrecision precision, int steps)
    {
        var pretrained = BltCheckpoint.Load(modelDir);
        var task = new BltClassificationTask(pretrained.Config, classes: 2, pretrained);
        var options = new TrainerOptions { Schedule = new WarmupLinear(1e-3, 0, 10), Devices = [on], Precision = precision, Seed = 1, ShowProgress = false };
        using var trainer = new Trainer<BltForSequenceClassification, BltClassificationBatch>(task, options);
        var docs = Documents();
        var batch = new BltClassificationBatch(docs, [0, 1, 0]);
        return Enumerable.Range(0, steps).Select(_ => trainer.TrainStep([batch]).Loss).ToArray();
    }

    static JsonObject ClassifierSteps(string modelDir, string device)
    {
        RequireDevice(device);
        var onDevice = Losses(modelDir, device, TrainingPrecision.Float32, 2);
        var cpu = Losses(modelDir, "cpu", TrainingPrecision.Float32, 2);
        var bf16 = Losses(modelDir, device, TrainingPrecision.BFloat16, 1);
        return new JsonObject
        {
            ["device"] = device,
            ["ok"] = onDevice.Zip(cpu).All(p => Math.Abs(p.First - p.Second) <= Tolerance * Math.Abs(p.Second)) && double.IsFinite(bf16[0]),
            ["fp32_losses_device"] = new JsonArray(onDevice.Select(l => (JsonNode)l).ToArray()),
            ["fp32_losses_cpu"] = new JsonArray(cpu.Select(l => (JsonNode)l).ToArray()),
            ["bf16_loss_device"] = bf16[0],
        };
    }

    static void RequireDevice(string device)
    {
        if (device.StartsWith("cuda", StringComparison.Ordinal) && !cuda.is_available()) throw new InvalidOperationException("CUDA is not available to TorchSharp");
    }

    static double MaxDiff(Tensor a, Tensor b) => (a.to(float64) - b.to(float64)).abs().max().item<double>();
}
