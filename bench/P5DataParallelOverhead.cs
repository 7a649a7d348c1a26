using MLNetExt.Training;
using MLNetExt.Training.Schedules;
using static TorchSharp.torch;

namespace MLNetExt.Bench;

/// <summary>
/// P5: share of a data-parallel step spent outside forward/backward (sharding, gradient collection and reduction,
/// clipping, AdamW, copying weights down), 2 CPU replicas vs 1, on a ~5M-parameter encoder with MLM.
/// </summary>
public sealed class P5DataParallelOverhead : IBenchmark
{
    public string Id => "P5";
    public string Description => "data-parallel overhead: share of step time outside forward/backward, 2 CPU replicas (goal <= 10%)";

    public void Run(string[] args)
    {
        int steps = Option(args, "--steps", 5), sequences = Option(args, "--sequences", 32), length = Option(args, "--length", 128);
        var config = new ToyEncoderConfig();
        var data = ToyMlmTask.RandomBatches(steps + 1, sequences, length, config.VocabSize, seed: 1);
        Console.WriteLine($"model {config}, batch {sequences}x{length} tokens, torch threads {get_num_threads()}, {steps} measured steps");
        Console.WriteLine($"{"replicas",8} {"step ms",9} {"shard",7} {"fwd/bwd",8} {"sync",7} {"update",7} {"overhead",9}");
        double share = 0;
        foreach (int replicas in new[] { 1, 2 })
        {
            share = Measure(replicas, config, length, data);
        }
        Console.WriteLine($"P5: {share:F3}");
    }

    static double Measure(int replicas, ToyEncoderConfig config, int length, List<MLNetExt.Training.Objectives.MaskedBatch> data)
    {
        var options = new TrainerOptions
        {
            Schedule = new WarmupLinear(1e-4, 0, 1000), Devices = Enumerable.Repeat("cpu", replicas).ToArray(), ShowProgress = false,
        };
        using var trainer = new Trainer<ToyEncoder, MLNetExt.Training.Objectives.MaskedBatch>(new ToyMlmTask(config, length), options);
        trainer.TrainStep([data[0]]); // warm-up: allocations, thread pools
        var results = data.Skip(1).Select(b => trainer.TrainStep([b])).ToList();
        double Ms(Func<StepResult, TimeSpan> f) => results.Sum(r => f(r).TotalMilliseconds) / results.Count;
        double total = Ms(r => r.Total), overhead = Ms(r => r.Shard) + Ms(r => r.Sync) + Ms(r => r.Update);
        Console.WriteLine($"{replicas,8} {total,9:F1} {Ms(r => r.Shard),7:F1} {Ms(r => r.ForwardBackward),8:F1} {Ms(r => r.Sync),7:F1} {Ms(r => r.Update),7:F1} {overhead / total,9:P1}");
        return overhead / total;
    }

    static int Option(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
    }
}
