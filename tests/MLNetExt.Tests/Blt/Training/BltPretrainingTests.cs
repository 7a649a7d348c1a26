using MLNetExt.Blt;
using MLNetExt.Blt.Training;
using MLNetExt.Tests.Training;
using MLNetExt.Training;
using MLNetExt.Training.Telemetry;

namespace MLNetExt.Tests.Blt.Training;

[TestClass]
public sealed class BltPretrainingTests
{
    static BltPretrainingOptions Options(string dir, string textFile) => new()
    {
        OutputDirectory = dir,
        TextFile = textFile,
        HeldOutFraction = 0.1,
        SequenceLength = 64,
        BatchBytes = 256,
        EntropySteps = 8,
        EntropyLearningRate = 1e-2,
        Steps = 8,
        LearningRate = 1e-2,
        WarmupSteps = 2,
        TargetPatchSize = 3,
        CalibrationDocuments = 8,
        EntropyHiddenSize = 32,
        EntropyLayers = 1,
        LocalHiddenSize = 32,
        GlobalHiddenSize = 64,
        GlobalLayers = 1,
        DecoderLayers = 1,
        HashVocab = 61,
        EvalEvery = 4,
        CheckpointEvery = 4,
        Threads = 1,
        ShowProgress = false,
    };

    [TestMethod]
    public void PretrainingWritesModelPlotAndSummaryAndResumesToTheSameResult()
    {
        string dir = TinyCorpus.TempDir();
        try
        {
            string textFile = Path.Combine(dir, "text.txt");
            File.WriteAllText(textFile, string.Join("\n", TinyCorpus.Texts(120, seed: 8)));
            var stages = new List<BltPretrainingStage>();
            var first = BltPretraining.Run(Options(Path.Combine(dir, "run"), textFile), new Collect(stages));

            CollectionAssert.AreEqual(new[] { BltPretrainingStage.EntropyModel, BltPretrainingStage.Calibration, BltPretrainingStage.Blt, BltPretrainingStage.Saving },
                stages.Distinct().ToArray());
            Assert.IsLessThan(7.0, first.BitsPerByte, "8 steps already beat 8 bits per byte");
            Assert.AreEqual(3.0, first.Flops.MeanPatchSize, 1.0, "held-out patches near the calibrated size");
            Assert.IsGreaterThan(0.0, first.Flops.Latent);
            Assert.IsGreaterThan(1000L, new FileInfo(first.PlotPath).Length, "entropy.png written");
            using (var loaded = BltCheckpoint.Load(first.ModelDirectory))
                Assert.AreEqual(first.Threshold, loaded.Config.PatchingThreshold, 1e-9);
            Assert.IsTrue(File.Exists(Path.Combine(dir, "run", "summary.json")));

            // Everything is checkpointed: a second run resumes both trainings at their end and reproduces the result.
            var again = BltPretraining.Run(Options(Path.Combine(dir, "run"), textFile));
            Assert.AreEqual(first.BitsPerByte, again.BitsPerByte, 1e-9);
            Assert.AreEqual(first.Threshold, again.Threshold, 1e-9);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [TestMethod]
    public void EntropyPlotIsWritten()
    {
        string dir = TinyCorpus.TempDir();
        try
        {
            using var model = TinyBlt.Model();
            string path = Path.Combine(dir, "entropy.png");
            BltPlots.EntropyPlot(path, model, "Call me Ishmael. Some years ago - never mind how long precisely.");
            var bytes = File.ReadAllBytes(path);
            Assert.IsGreaterThan(1000, bytes.Length);
            CollectionAssert.AreEqual(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
            Assert.ThrowsExactly<ArgumentException>(() => BltPlots.EntropyPlot(path, [1, 5, 6], [1f, 2f], [true, true, false], 1.0));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [TestMethod]
    public void HeldOutIsTheEndOfTheText()
    {
        var (train, heldOut) = BltPretraining.SplitHeldOut(["aaaa", "bbbb", "cccc", "dddd"], 0.25);
        CollectionAssert.AreEqual(new[] { "aaaa", "bbbb", "cccc" }, train);
        CollectionAssert.AreEqual(new[] { "dddd" }, heldOut);
        var (one, tail) = BltPretraining.SplitHeldOut(["line one\nline two\nline three\n"], 0.3);
        Assert.AreEqual("line one\nline two\n", one.Single());
        Assert.AreEqual("line three\n", tail.Single());
    }

    [TestMethod]
    public void StoppedAndResumedBltRunReplaysTheStraightRun()
    {
        var train = ByteBatches.FromTexts(TinyCorpus.Texts(24, seed: 9), sequenceLength: 48, batchBytes: 96);
        var (config, entropy) = TinyCorpus.Blt();
        string straightDir = TinyCorpus.TempDir(), resumedDir = TinyCorpus.TempDir();
        try
        {
            Trainer<BltModel, BltBatch> Trainer(string dir) => new(new BltTask(config, entropy), TinyCorpus.Options(5, dir: dir));
            double[] straight;
            Dictionary<string, float[]> straightWeights;
            using (var trainer = Trainer(straightDir))
            {
                straight = trainer.Fit(train).Losses.Select(l => l.Loss).ToArray();
                straightWeights = ToyTask.Weights(trainer.Model);
            }
            var losses = new List<double>();
            using (var cts = new CancellationTokenSource())
            using (var trainer = Trainer(resumedDir))
                Assert.ThrowsExactly<OperationCanceledException>(() => trainer.Fit(train, progress: new CancelAt(2, cts, losses), cancellationToken: cts.Token));
            using (var trainer = Trainer(resumedDir))
            {
                losses.AddRange(trainer.Fit(train).Losses.Select(l => l.Loss));
                Assert.AreEqual(0.0, ToyTask.MaxDifference(straightWeights, ToyTask.Weights(trainer.Model)));
            }
            CollectionAssert.AreEqual(straight, losses);
        }
        finally
        {
            Directory.Delete(straightDir, true);
            Directory.Delete(resumedDir, true);
        }
    }

    sealed class CancelAt(long step, CancellationTokenSource cts, List<double> losses) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            losses.Add(value.Loss);
            if (value.Step == step) cts.Cancel();
        }
    }

    sealed class Collect(List<BltPretrainingStage> stages) : IProgress<BltPretrainingProgress>
    {
        public void Report(BltPretrainingProgress value) => stages.Add(value.Stage);
    }
}
