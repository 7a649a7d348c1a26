using MLNetExt.ModernBert;
using MLNetExt.ModernBert.Training;
using MLNetExt.Training;
using MLNetExt.Training.Objectives;
using MLNetExt.Training.Packing;
using MLNetExt.Training.Schedules;
using static TorchSharp.torch;

namespace MLNetExt.Bench;

/// <summary>
/// P5: share of a data-parallel step spent outside forward/backward (sharding, gradient collection and reduction,
/// clipping, AdamW, copying weights down), 1 CPU replica then 2, on a small ModernBERT (4 x 256, vocab 8192)
/// trained with <see cref="ModernBertMaskedLmTask"/>. The last line is the 2-replica share.
/// </summary>
public sealed class P5DataParallelOverhead : IBenchmark
{
    public string Id => "P5";
    public string Description => "data-parallel overhead: share of step time outside forward/backward, small ModernBERT MLM, 2 CPU replicas (goal <= 10%)";

    static readonly ModernBertConfig Config = new()
    {
        VocabSize = 8192, HiddenSize = 256, IntermediateSize = 384, NumHiddenLayers = 4, NumAttentionHeads = 4,
        LocalAttention = 64, MaxPositionEmbeddings = 512, PadTokenId = 0, ClsTokenId = 1, BosTokenId = 1, SepTokenId = 2, EosTokenId = 2,
    };

    public void Run(string[] args)
    {
        int steps = BenchUtil.Option(args, "steps", 5), sequences = BenchUtil.Option(args, "sequences", 32), length = BenchUtil.Option(args, "length", 128);
        var data = RandomBatches(steps + 1, sequences, length, seed: 1);
        Console.WriteLine($"ModernBERT {Config.NumHiddenLayers}x{Config.HiddenSize}, {Config.NonEmbeddingParameterCount() / 1e6:F1}M non-embedding + {Config.VocabSize * Config.HiddenSize / 1e6:F1}M embedding parameters; "
            + $"batch {sequences}x{length} tokens, torch threads {get_num_threads()}, {steps} measured steps");
        Console.WriteLine($"{"replicas",8} {"step ms",9} {"shard",7} {"fwd/bwd",8} {"sync",7} {"update",7} {"other",7} {"overhead",9}");
        double share = 0;
        foreach (int replicas in new[] { 1, 2 }) share = Measure(replicas, data);
        Console.WriteLine($"P5: {share:F3}");
    }

    static double Measure(int replicas, IReadOnlyList<MaskedBatch> data)
    {
        var options = new TrainerOptions
        {
            Schedule = new WarmupLinear(1e-4, 0, 1000), Devices = Enumerable.Repeat("cpu", replicas).ToArray(), ShowProgress = false,
        };
        var task = new ModernBertMaskedLmTask(Config, new MlmMaskingOptions(MaskTokenId: 3, Config.VocabSize, [0, 1, 2, 3]));
        using var trainer = new Trainer<ModernBertForMaskedLM, MaskedBatch>(task, options);
        _ = trainer.TrainStep([data[0]]).Loss; // warm-up: allocations, thread pools
        // Each result read right away, so Total is the step's whole time (the CPU runs every op as it is called).
        var results = data.Skip(1).Select(b => { var r = trainer.TrainStep([b]); _ = r.Loss; return r; }).ToList();
        double Ms(Func<StepResult, TimeSpan> f) => results.Sum(r => f(r).TotalMilliseconds) / results.Count;
        double fwdBwd = Ms(r => r.Timings.Forward + r.Timings.Backward);
        // Overhead is everything but the concurrent forward/backward, including what no phase names.
        double total = Ms(r => r.Total), overhead = total - fwdBwd;
        double other = total - Ms(r => r.Timings.Sum);
        Console.WriteLine($"{replicas,8} {total,9:F1} {Ms(r => r.Timings.Prepare),7:F1} {fwdBwd,8:F1} {Ms(r => r.Timings.Reduce),7:F1} {Ms(r => r.Timings.Optimizer),7:F1} {other,7:F1} {overhead / total,9:P1}");
        return overhead / total;
    }

    /// <summary>Unmasked [CLS] random-ids [SEP] sequences; the trainer masks them each step.</summary>
    static IReadOnlyList<MaskedBatch> RandomBatches(int count, int sequences, int length, int seed)
    {
        var rng = new Random(seed);
        return ModernBertMaskedLmTask.Unmasked(Enumerable.Range(0, count).Select(_ => PackedBatch.FromSequences(Enumerable.Range(0, sequences)
            .Select(_ => Enumerable.Range(0, length).Select(i => i == 0 ? 1L : i == length - 1 ? 2L : rng.NextInt64(4, Config.VocabSize)).ToArray()).ToList())));
    }
}
