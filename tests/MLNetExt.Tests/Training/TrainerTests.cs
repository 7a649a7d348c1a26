using MLNetExt.Training;
using MLNetExt.Training.Schedules;
using static TorchSharp.torch;

namespace MLNetExt.Tests.Training;

[TestClass]
public sealed class TrainerTests
{
    static TrainerOptions Options(long steps, double lr = 2e-2) => new()
    {
        Schedule = new WarmupCosine(lr, 5, steps), ShowProgress = false, PeakFlops = 1e12, AdamW = new(WeightDecay: 0),
    };

    [TestMethod]
    public void ToyModelOverfitsASmallSet()
    {
        var data = ToyTask.Data(2, 16, seed: 9);
        using var trainer = new Trainer<ToyModel, ToyBatch>(new ToyTask(hidden: 32), Options(200, 3e-2));
        var result = trainer.Fit(data, eval: data);
        Assert.IsLessThan(0.05, result.EvalLosses[^1].Loss, $"final eval loss {result.EvalLosses[^1].Loss}");
        Assert.IsGreaterThan(0.5, result.Losses[0].Loss);
    }

    [TestMethod]
    public void BFloat16ReplicasTrainWithFp32MasterWeightsCloseToFp32()
    {
        var data = ToyTask.Data(4, 16, seed: 4);
        using var fp32 = new Trainer<ToyModel, ToyBatch>(new ToyTask(), Options(20));
        using var bf16 = new Trainer<ToyModel, ToyBatch>(new ToyTask(), Options(20) with { Precision = TrainingPrecision.BFloat16, Devices = ["cpu", "cpu"] });
        var a = fp32.Fit(data);
        var b = bf16.Fit(data);
        Assert.IsTrue(bf16.Model.parameters().All(p => p.dtype == ScalarType.Float32), "master weights must stay fp32");
        Assert.IsLessThan(b.Losses[0].Loss * 0.8, b.Losses[^1].Loss, "bf16 run did not learn");
        Assert.AreEqual(a.Losses[^1].Loss, b.Losses[^1].Loss, 0.05);
        double diff = ToyTask.MaxDifference(ToyTask.Weights(fp32.Model), ToyTask.Weights(bf16.Model));
        Assert.IsLessThan(0.05, diff, $"bf16 master weights drifted {diff} from fp32");
        Assert.IsGreaterThan(0.0, diff, "bf16 run was not actually bf16");
    }

    [TestMethod]
    public void NonFiniteLossSkipsTheStepThenStopsAfterKInARow()
    {
        var good = ToyTask.Data(1, 8, seed: 2)[0];
        var data = new[] { good, good with { Poison = true }, good, good with { Poison = true }, good with { Poison = true }, good with { Poison = true } };
        using var trainer = new Trainer<ToyModel, ToyBatch>(new ToyTask(), Options(10) with { Shuffle = false, MaxConsecutiveNonFinite = 3 });
        var progress = new List<TrainingProgressSnapshot>();
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => trainer.Fit(data, progress: new Sink(progress)));
        StringAssert.Contains(e.Message, "3 consecutive steps");
        // Applied: batch 0, batch 2. Skipped: 1, then 3, 4, 5 -> error. The skip left the weights untouched.
        Assert.AreEqual(2, trainer.Step);
        CollectionAssert.AreEqual(new long[] { 1, 2 }, progress.Select(p => p.Step).ToArray());
    }

    sealed record TrainingProgressSnapshot(long Step);

    sealed class Sink(List<TrainingProgressSnapshot> into) : IProgress<MLNetExt.Training.Telemetry.TrainingProgress>
    {
        public void Report(MLNetExt.Training.Telemetry.TrainingProgress value) => into.Add(new(value.Step));
    }

    [TestMethod]
    public void QueueingTheNextStepAheadChangesNothing()
    {
        // Fit runs step k+1's forward/backward before reading step k's result; the run must be the step-by-step one.
        var data = ToyTask.Data(3, 8, seed: 5);
        (double[] Losses, Dictionary<string, float[]> Weights) Run(bool lookahead)
        {
            using var trainer = new Trainer<ToyModel, ToyBatch>(new ToyTask(dropout: 0.2, noise: 0.3f), Options(8) with { Seed = 11 }) { Lookahead = lookahead };
            var losses = trainer.Fit(data).Losses.Select(l => l.Loss).ToArray();
            return (losses, ToyTask.Weights(trainer.Model));
        }
        var (ahead, aheadWeights) = Run(true);
        var (stepwise, stepwiseWeights) = Run(false);
        CollectionAssert.AreEqual(stepwise, ahead);
        Assert.AreEqual(0.0, ToyTask.MaxDifference(stepwiseWeights, aheadWeights));
    }

    [TestMethod]
    public void ABadBatchFailsItsOwnStepNotTheOneQueuedBeforeIt()
    {
        // Step 1 queues step 2's forward/backward; step 2's batch is malformed (more labels than rows), so that work
        // fails. Step 1 must still complete and be reported; the error surfaces when step 2 runs.
        var good = ToyTask.Data(1, 8, seed: 2)[0];
        var bad = good with { Labels = [.. good.Labels, 0] };
        using var trainer = new Trainer<ToyModel, ToyBatch>(new ToyTask(), Options(4) with { Shuffle = false });
        var progress = new List<TrainingProgressSnapshot>();
        Assert.Throws<ArgumentException>(() => trainer.Fit([good, bad], progress: new Sink(progress)));
        CollectionAssert.AreEqual(new long[] { 1 }, progress.Select(p => p.Step).ToArray());
        Assert.AreEqual(1, trainer.Step);
    }

    [TestMethod]
    public void PeakFlopsAsksNvidiaSmiForARealDeviceIndex()
    {
        // torch.CUDA has index -1 ("current device"); nvidia-smi -i -1 fails, which left P8's MFU null.
        StringAssert.EndsWith(MLNetExt.Training.Telemetry.PeakFlops.NameQuery(-1), "-i 0");
        StringAssert.EndsWith(MLNetExt.Training.Telemetry.PeakFlops.NameQuery(3), "-i 3");
    }

    [TestMethod]
    public void EmptyDataIsAClearError()
    {
        using var trainer = new Trainer<ToyModel, ToyBatch>(new ToyTask(), Options(3));
        var e = Assert.ThrowsExactly<ArgumentException>(() => trainer.Fit([]));
        StringAssert.Contains(e.Message, "no batches");
    }

    [TestMethod]
    public void EarlyStoppingEndsWhenEvalLossStopsImproving()
    {
        var train = ToyTask.Data(2, 8, seed: 1);
        var unrelated = ToyTask.Data(1, 8, seed: 99); // different labelling rule: eval loss soon stops improving
        using var trainer = new Trainer<ToyModel, ToyBatch>(new ToyTask(), Options(400, 5e-2) with { EvalEvery = 5, EarlyStoppingPatience = 2 });
        var result = trainer.Fit(train, unrelated);
        Assert.IsTrue(result.StoppedEarly);
        Assert.IsLessThan(400, result.FinalStep);
        Assert.AreEqual(result.EvalLosses.Min(e => e.Loss), result.BestEvalLoss);
    }
}
