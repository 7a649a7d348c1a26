using MLNetExt.Training;
using MLNetExt.Training.Checkpoints;
using MLNetExt.Training.Schedules;
using MLNetExt.Training.Telemetry;

namespace MLNetExt.Tests.Training;

[TestClass]
public sealed class ResumeTests
{
    /// <summary>Cancels synchronously right after a given step is reported (Progress&lt;T&gt; would post it later).</summary>
    sealed class CancelAt(long step, CancellationTokenSource cts) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            if (value.Step == step) cts.Cancel();
        }
    }

    static TrainerOptions Options(string dir, int replicas) => new()
    {
        Schedule = new WarmupCosine(1e-2, 2, 8),
        Devices = Enumerable.Repeat("cpu", replicas).ToArray(),
        OutputDirectory = dir,
        ShowProgress = false,
        PeakFlops = 1e12,
        Seed = 11,
    };

    // Per-step feature noise (and dropout) make the trajectory depend on every piece of restored state. Dropout only
    // with one CPU replica: CPU replicas share torch's one CPU generator, so their draw order is not deterministic.
    [TestMethod]
    [DataRow(1, 0.2)]
    [DataRow(2, 0.0)]
    public void StoppedAndResumedRunReplaysTheStraightRun(int replicas, double dropout)
    {
        ToyTask Task() => new(dropout: dropout, noise: 0.3f);
        TrainerOptions Options(string dir) => ResumeTests.Options(dir, replicas);
        var data = ToyTask.Data(3, 8, seed: 5); // 8 steps cross epoch boundaries and reshuffles
        string straightDir = TempDir(), resumedDir = TempDir();
        try
        {
            Dictionary<string, float[]> straight;
            double[] straightLosses;
            using (var trainer = new Trainer<ToyModel, ToyBatch>(Task(), Options(straightDir)))
            {
                straightLosses = trainer.Fit(data).Losses.Select(l => l.Loss).ToArray();
                straight = ToyTask.Weights(trainer.Model);
            }

            var firstHalf = new List<double>();
            using (var cts = new CancellationTokenSource())
            using (var trainer = new Trainer<ToyModel, ToyBatch>(Task(), Options(resumedDir)))
            {
                var progress = new CancelAt(4, cts);
                var recorder = new Recorder(firstHalf, progress);
                Assert.ThrowsExactly<OperationCanceledException>(() => trainer.Fit(data, progress: recorder, cancellationToken: cts.Token));
                Assert.AreEqual(4, trainer.Step);
            }
            Dictionary<string, float[]> resumed;
            double[] secondHalf;
            using (var trainer = new Trainer<ToyModel, ToyBatch>(Task(), Options(resumedDir)))
            {
                var result = trainer.Fit(data);
                Assert.AreEqual(5, result.Losses[0].Step, "resumed at step 5");
                secondHalf = result.Losses.Select(l => l.Loss).ToArray();
                resumed = ToyTask.Weights(trainer.Model);
            }

            CollectionAssert.AreEqual(straightLosses, firstHalf.Concat(secondHalf).ToArray());
            Assert.AreEqual(0.0, ToyTask.MaxDifference(straight, resumed));
            Assert.IsTrue(File.Exists(Path.Combine(straightDir, "metrics.jsonl")));
            Assert.IsTrue(File.Exists(Path.Combine(straightDir, "loss.png")));
            Assert.AreEqual(8, File.ReadAllLines(Path.Combine(resumedDir, "metrics.jsonl")).Length, "one metrics line per step across both runs");
        }
        finally
        {
            Directory.Delete(straightDir, true);
            Directory.Delete(resumedDir, true);
        }
    }

    sealed class Recorder(List<double> losses, IProgress<TrainingProgress> next) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            losses.Add(value.Loss);
            next.Report(value);
        }
    }

    [TestMethod]
    public void HalfWrittenCheckpointsAreIgnoredAndOnlyTheLastKKept()
    {
        string dir = TempDir();
        try
        {
            var store = new CheckpointStore(dir, keepLast: 2);
            using var model = new ToyTask().CreateModel(TorchSharp.torch.CPU);
            var state = new TrainerState(0, 0, 0, double.PositiveInfinity, -1, 0, 0, new Dictionary<string, string>());
            for (long step = 1; step <= 3; step++) store.Save(model, new Dictionary<string, TorchSharp.torch.Tensor>(), state with { Step = step });
            CollectionAssert.AreEquivalent(new[] { "step-000000002", "step-000000003" },
                Directory.GetDirectories(dir).Select(Path.GetFileName).ToArray());

            // A crash mid-save leaves a temporary directory; a torn copy lacks trainer.json. Neither is picked.
            var tmp = Directory.CreateDirectory(Path.Combine(dir, ".tmp-step-000000009-abc")).FullName;
            foreach (var f in Directory.GetFiles(Path.Combine(dir, "step-000000003"))) File.Copy(f, Path.Combine(tmp, Path.GetFileName(f)));
            var torn = Directory.CreateDirectory(Path.Combine(dir, "step-000000007")).FullName;
            File.Copy(Path.Combine(dir, "step-000000003", CheckpointStore.ModelFile), Path.Combine(torn, CheckpointStore.ModelFile));
            Assert.AreEqual(Path.Combine(dir, "step-000000003"), store.Latest());
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    static string TempDir() => Directory.CreateTempSubdirectory("mlnetext-train-").FullName;
}
