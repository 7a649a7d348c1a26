using MLNetExt.Training;
using MLNetExt.Training.Schedules;

namespace MLNetExt.Tests.Training;

[TestClass]
public sealed class DataParallelTests
{
    static TrainerOptions Options(params string[] devices) => new()
    {
        Schedule = new WarmupLinear(2e-2, 1, 6),
        Devices = devices,
        Shuffle = false,
        ShowProgress = false,
        PeakFlops = 1e12,
        AdamW = new(WeightDecay: 0.1),
        MaxGradNorm = 0.5,
    };

    static (Dictionary<string, float[]> Weights, double[] Losses) Train(TrainerOptions options, IReadOnlyList<ToyBatch> data)
    {
        using var trainer = new Trainer<ToyModel, ToyBatch>(new ToyTask(), options);
        var result = trainer.Fit(data);
        return (ToyTask.Weights(trainer.Model), result.Losses.Select(l => l.Loss).ToArray());
    }

    [TestMethod]
    public void CpuReplicasAndAccumulationMatchOneReplicaOnTheFullBatch()
    {
        // 7 rows per batch: 2 replicas get 4+3 rows, 3 replicas 2+3+2 -- uneven shards on purpose.
        var data = ToyTask.Data(6, 7, seed: 3);
        var (single, singleLosses) = Train(Options("cpu"), data);
        var (two, twoLosses) = Train(Options("cpu", "cpu"), data);
        var (three, threeLosses) = Train(Options("cpu", "cpu", "cpu"), data);
        // Accumulation: each batch becomes two micro-batches of 4 and 3 rows.
        var halves = data.SelectMany(b => new[] { b.Slice(0, 4), b.Slice(4, 7) }).ToList();
        var (accumulated, accumulatedLosses) = Train(Options("cpu") with { AccumulationSteps = 2 }, halves);

        Assert.IsLessThanOrEqualTo(1e-5, ToyTask.MaxDifference(single, two), "2 replicas");
        Assert.IsLessThanOrEqualTo(1e-5, ToyTask.MaxDifference(single, three), "3 replicas");
        Assert.IsLessThanOrEqualTo(1e-5, ToyTask.MaxDifference(single, accumulated), "accumulation");
        for (int i = 0; i < singleLosses.Length; i++)
        {
            Assert.AreEqual(singleLosses[i], twoLosses[i], 1e-5);
            Assert.AreEqual(singleLosses[i], threeLosses[i], 1e-5);
            Assert.AreEqual(singleLosses[i], accumulatedLosses[i], 1e-5);
        }
        // And training moved the weights at all, so the comparison means something.
        using var fresh = new Trainer<ToyModel, ToyBatch>(new ToyTask(), Options("cpu"));
        Assert.IsGreaterThan(1e-3, ToyTask.MaxDifference(single, ToyTask.Weights(fresh.Model)));
    }

    [TestMethod]
    public void MissingDeviceListsTheDevicesPresent()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new Trainer<ToyModel, ToyBatch>(new ToyTask(), Options("cpu", "cuda:3")));
        StringAssert.Contains(e.Message, "cuda:3");
        StringAssert.Contains(e.Message, "Present: cpu");
    }

    [TestMethod]
    public void TokenBalanceCutsNearEqualTokenShares()
    {
        int[] lengths = [50, 10, 10, 30, 40, 60];
        var cuts = MLNetExt.Training.Parallel.TokenBalance.Boundaries(lengths, 2);
        CollectionAssert.AreEqual(new[] { 0, 4, 6 }, cuts); // 100 | 100
        var uneven = MLNetExt.Training.Parallel.TokenBalance.Boundaries([5, 5], 3);
        Assert.AreEqual(3, uneven.Length - 1);
        Assert.AreEqual(2, Enumerable.Range(0, 3).Sum(k => uneven[k + 1] - uneven[k]));
    }
}
