using MLNetExt.ModernBert;
using MLNetExt.ModernBert.Training;
using MLNetExt.Training;
using MLNetExt.Training.Objectives;
using MLNetExt.Training.Packing;
using MLNetExt.Training.Schedules;
using MLNetExt.Training.Transfer;

namespace MLNetExt.Tests.Training;

/// <summary>
/// A training step must not stall the device on the host: each micro-batch reaches the device in one upload and
/// nothing is read back until a step's result is read (Fit reads each one once, after queuing the next step's work).
/// </summary>
[TestClass]
public sealed class HostTrafficTests
{
    static readonly ModernBertConfig Config = ModernBertConfig.Tiny;

    static IReadOnlyList<MaskedBatch> Batches(int count)
    {
        var rng = new Random(4);
        return ModernBertMaskedLmTask.Unmasked(Enumerable.Range(0, count).Select(_ => PackedBatch.FromSequences(Enumerable.Range(0, 5)
            .Select(_ => new long[] { 1 }.Concat(Enumerable.Range(0, rng.Next(8, 150)).Select(_ => rng.NextInt64(4, 64))).Append(2L).ToArray()).ToList())).ToList());
    }

    static Trainer<ModernBertForMaskedLM, MaskedBatch> Trainer(int steps, TrainingPrecision precision = TrainingPrecision.Float32) =>
        new(new ModernBertMaskedLmTask(Config, new MlmMaskingOptions(MaskTokenId: 3, Config.VocabSize, [0, 1, 2, 3])),
            new TrainerOptions { Schedule = new WarmupLinear(1e-3, 1, steps), ShowProgress = false, PeakFlops = 1e12, Precision = precision });

    [TestMethod]
    [DataRow(TrainingPrecision.Float32)]
    [DataRow(TrainingPrecision.BFloat16)]
    public void AStepUploadsOnceAndReadsNothingUntilItsResultIsRead(TrainingPrecision precision)
    {
        var data = Batches(6);
        using var trainer = Trainer(10, precision);
        long uploads = DeviceTraffic.Uploads, reads = DeviceTraffic.Reads;
        var steps = data.Select(b => trainer.TrainStep([b])).ToList();
        Assert.AreEqual(uploads + data.Count, DeviceTraffic.Uploads, "one upload per single-micro-batch step");
        Assert.AreEqual(reads, DeviceTraffic.Reads, "no device read inside a step");
        Assert.IsTrue(steps.All(s => s.Applied && double.IsFinite(s.Loss) && s.GradNorm > 0));
        Assert.AreEqual(reads + 1, DeviceTraffic.Reads, "every unread step comes back in one read");
        Assert.AreEqual(data.Count, trainer.Step);
    }

    [TestMethod]
    public void FitReadsEachStepOnceAndUploadsEachBatchOnce()
    {
        var data = Batches(3);
        using var trainer = Trainer(7);
        long uploads = DeviceTraffic.Uploads, reads = DeviceTraffic.Reads;
        trainer.Fit(data);
        Assert.AreEqual(uploads + 7, DeviceTraffic.Uploads);
        Assert.AreEqual(reads + 7, DeviceTraffic.Reads);
    }

    [TestMethod]
    public void UnreadStepsKeepTheScheduleExact()
    {
        // The learning rate depends on how many steps applied; with results unread the device picks it. Reading every
        // step (the host knows) must give the same rates, losses and weights.
        var data = Batches(5);
        double[] Run(bool readEachStep, out Dictionary<string, float[]> weights)
        {
            using var trainer = Trainer(5);
            var steps = new List<StepResult>();
            foreach (var b in data)
            {
                steps.Add(trainer.TrainStep([b]));
                if (readEachStep) _ = steps[^1].Loss;
            }
            weights = ToyTask.Weights(trainer.Model);
            return [.. steps.Select(s => s.LearningRate), .. steps.Select(s => s.Loss)];
        }
        var unread = Run(false, out var unreadWeights);
        var read = Run(true, out var readWeights);
        CollectionAssert.AreEqual(read, unread);
        Assert.AreEqual(0.0, ToyTask.MaxDifference(readWeights, unreadWeights));
    }
}
