using System.Diagnostics;
using System.Globalization;
using MLNetExt.ModernBert;
using MLNetExt.ModernBert.Training;
using MLNetExt.Training;
using MLNetExt.Training.Objectives;
using MLNetExt.Training.Packing;
using MLNetExt.Training.Schedules;
using MLNetExt.Training.Telemetry;
using static TorchSharp.torch;

namespace MLNetExt.Bench;

/// <summary>
/// HOST: what the host costs a training step. (1) PackedInput planning time and managed bytes allocated per
/// P8-sized batch (ModernBERT-base shape, spam-corpus lengths, best-fit packed to 16,384 tokens); (2) the share of a
/// tiny-config masked-LM training step spent preparing batches on the host, in compute, and in dispatch (the rest:
/// per-op overhead in TorchSharp and libtorch). The last line is the planning time in ms per batch (goal &lt; 1).
/// </summary>
public sealed class HostOverhead : IBenchmark
{
    public string Id => "HOST";
    public string Description => "host planning ms and bytes per P8-sized batch; share of a tiny MLM step in host prep / compute / dispatch";

    public void Run(string[] args)
    {
        int batches = BenchUtil.Option(args, "batches", 40), steps = BenchUtil.Option(args, "steps", 30);
        double planMs = Planning(batches);
        TinyStep(steps);
        Console.WriteLine($"HOST: {planMs.ToString("F3", CultureInfo.InvariantCulture)}");
    }

    static double Planning(int count)
    {
        var config = ModernBertConfigJson.Load("tools/gpu/modernbert-base-config.json");
        var lengths = File.ReadLines("tools/gpu/spam-lengths.txt").Where(l => l.Length > 0)
            .Select(l => Math.Min(int.Parse(l, CultureInfo.InvariantCulture), config.MaxPositionEmbeddings)).ToArray();
        var rng = new Random(8);
        var batches = Packer.BestFit(lengths, 16384).OrderBy(_ => rng.Next()).Take(count)
            .Select(rows => PackedBatch.FromSequences(rows.Select(r => Enumerable.Repeat(5L, lengths[r]).ToArray()).ToArray(), rows)).ToList();
        foreach (var b in batches.Take(3)) { using var scope = NewDisposeScope(); PackedInput.Create(b, config, CPU).Dispose(); } // warm-up
        var plan = new List<double>();
        var create = new List<double>();
        long bytes = 0;
        foreach (var b in batches)
        {
            // The host half alone (what a worker thread does ahead of the device), then the whole input on the CPU.
            long before = GC.GetAllocatedBytesForCurrentThread();
            var clock = Stopwatch.StartNew();
            new PackedPlan(b, config, LongInputPolicy.Truncate).Dispose();
            plan.Add(clock.Elapsed.TotalMilliseconds);
            bytes += GC.GetAllocatedBytesForCurrentThread() - before;
            using var scope = NewDisposeScope();
            clock.Restart();
            PackedInput.Create(b, config, CPU).Dispose();
            create.Add(clock.Elapsed.TotalMilliseconds);
        }
        double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);
        Console.WriteLine($"ModernBERT-base shape, {batches.Count} batches of <= 16,384 tokens (mean {batches.Average(b => b.TokenCount):F0} tokens, "
            + $"{batches.Average(b => b.Count):F1} sequences): host planning median {Median(plan):F3} ms, {bytes / (double)batches.Count / 1e6:F3} MB allocated per batch; "
            + $"PackedInput.Create on the CPU (planning, upload, plans and masks built by torch) median {Median(create):F3} ms");
        return Median(plan);
    }

    static void TinyStep(int steps)
    {
        var config = ModernBertConfig.Tiny;
        var task = new ModernBertMaskedLmTask(config, new MlmMaskingOptions(MaskTokenId: 3, config.VocabSize, [0, 1, 2, 3]));
        var rng = new Random(1);
        var data = ModernBertMaskedLmTask.Unmasked(Enumerable.Range(0, steps + 1).Select(_ => PackedBatch.FromSequences(Enumerable.Range(0, 16)
            .Select(_ => Enumerable.Range(0, rng.Next(16, 64)).Select(i => i == 0 ? 1L : rng.NextInt64(4, config.VocabSize)).ToArray()).ToList())).ToList());
        var options = new TrainerOptions { Schedule = new WarmupLinear(1e-4, 0, 1000), ShowProgress = false, PeakFlops = 1 };
        using var trainer = new Trainer<ModernBertForMaskedLM, MaskedBatch>(task, options);
        _ = trainer.TrainStep([data[0]]).Loss;
        double prep = 0, total = 0, flops = 0;
        for (int i = 1; i <= steps; i++)
        {
            var clock = Stopwatch.StartNew();
            var step = trainer.TrainStep([data[i]]);
            _ = step.Loss;
            total += clock.Elapsed.TotalSeconds;
            flops += step.Flops;
            // The host's share, timed apart on this thread: masking, sharding and planning (the step runs it on a worker).
            clock.Restart();
            var masked = task.Prepare(data[i], new Random(i));
            ((PackedPlan)((IPlannedTask<ModernBertForMaskedLM, MaskedBatch>)task).Plan(task.Split(masked, 1)[0])).Dispose();
            prep += clock.Elapsed.TotalSeconds;
        }
        double compute = flops / PeakFlops.MeasureCpu(ScalarType.Float32) / total;
        double prepShare = prep / total;
        Console.WriteLine($"tiny MLM step (ModernBERT {config.NumHiddenLayers}x{config.HiddenSize}, 16 sequences of 16-63 tokens, fp32, 1 CPU replica, "
            + $"{get_num_threads()} torch threads): {total / steps * 1e3:F2} ms per step; host prep {prepShare:P1}, compute at matmul peak {compute:P1}, dispatch and the rest {1 - prepShare - compute:P1}");
    }
}
