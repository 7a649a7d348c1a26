using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Blt.MLNet;
using MLNetExt.ScoringHost;
using MLNetExt.Tests.MLNet;

namespace MLNetExt.Tests.Blt.MLNet;

[TestClass]
public sealed class BltTextClassificationTests
{
    static readonly Lazy<(MLContext Ml, ITransformer Model)> Trained = new(() =>
    {
        TorchSharp.torch.set_num_threads(1);
        var ml = new MLContext(seed: 1);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.Blt(BltMLNetData.Classifier(epochs: 6)));
        return (ml, pipeline.Fit(ToyData.Load(ml, 60)));
    });

    [TestMethod]
    public void PipelineLearnsTheToyTaskAndEvaluates()
    {
        var (ml, model) = Trained.Value;
        var scored = model.Transform(ToyData.Load(ml, 30, seed: 8));
        VBuffer<ReadOnlyMemory<char>> names = default;
        scored.Schema["PredictedLabel"].GetKeyValues(ref names);
        CollectionAssert.AreEqual(new[] { "vowels", "digits", "marks" }, names.DenseValues().Select(n => n.ToString()).ToArray());
        var metrics = ml.MulticlassClassification.Evaluate(scored);
        Assert.IsGreaterThan(0.8, metrics.MicroAccuracy, $"accuracy {metrics.MicroAccuracy}");
    }

    [TestMethod]
    public void PredictionEngineMatchesBatchScoring()
    {
        var (ml, model) = Trained.Value;
        var rows = ToyData.Rows(20, seed: 11);
        var batch = ml.Data.CreateEnumerable<Prediction>(model.Transform(ml.Data.LoadFromEnumerable(rows)), reuseRowObject: false).ToArray();
        var engine = ml.Model.CreatePredictionEngine<TextRow, Prediction>(model);
        for (int i = 0; i < rows.Length; i++)
        {
            var single = engine.Predict(rows[i]);
            Assert.AreEqual(batch[i].PredictedLabel, single.PredictedLabel, $"row {i}");
            for (int c = 0; c < 3; c++) Assert.AreEqual(batch[i].Score[c], single.Score[c], 1e-5f, $"row {i} class {c}");
        }
    }

    [TestMethod]
    public void MissingAndMistypedColumnsAreNamedWithTheExpectedType()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(ToyData.Rows(6).Select(r => new FloatLabelRow { Text = r.Text, Label = 1 }));
        var wrongLabel = ml.MulticlassClassification.Trainers.Blt(BltMLNetData.Classifier());
        StringAssert.Contains(Assert.Throws<ArgumentOutOfRangeException>(() => wrongLabel.Fit(data)).Message, "Column 'Label' must be of type Key or String, got Single");
        StringAssert.Contains(Assert.Throws<ArgumentOutOfRangeException>(() => wrongLabel.GetOutputSchema(SchemaShape.Create(data.Schema))).Message,
            "Column 'Label' must be of type Key or String, got Single");

        var noText = ml.MulticlassClassification.Trainers.Blt(BltMLNetData.Classifier() with { Sentence1ColumnName = "Body" });
        StringAssert.Contains(Assert.Throws<ArgumentOutOfRangeException>(() => noText.Fit(data)).Message, "Column 'Body' not found; expected a String or Vector<Byte> column");

        var numbers = ml.Data.LoadFromEnumerable(new[] { new FloatLabelRow { Label = 2 } });
        var patches = ml.Transforms.Text.BltPatches(new BltPatchesOptions { Model = BltMLNetData.TinyModel(), InputColumnName = "Label" });
        StringAssert.Contains(Assert.Throws<ArgumentOutOfRangeException>(() => patches.Fit(numbers)).Message, "Column 'Label' must be of type String or Vector<Byte>, got Single");
        var fitted = patches.Fit(ml.Data.LoadFromEnumerable(new[] { new TextRow { Label = "x" } }));
        StringAssert.Contains(Assert.Throws<ArgumentOutOfRangeException>(() => fitted.Transform(numbers)).Message, "Column 'Label' must be of type String or Vector<Byte>, got Single");
    }

    [TestMethod]
    public void CancelExecutionStopsTraining()
    {
        var ml = new MLContext(seed: 1);
        var trainer = ml.MulticlassClassification.Trainers.Blt(BltMLNetData.Classifier(epochs: 100_000));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        using var timer = new Timer(_ => ml.CancelExecution(), null, 1000, Timeout.Infinite);
        Assert.Throws<OperationCanceledException>(() => trainer.Fit(ToyData.Load(ml, 24)));
        Assert.IsLessThan(30.0, watch.Elapsed.TotalSeconds);
    }

    [TestMethod]
    public void CancellationTokenStopsTraining()
    {
        var ml = new MLContext(seed: 1);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(1000));
        var trainer = ml.MulticlassClassification.Trainers.Blt(BltMLNetData.Classifier(epochs: 100_000) with { CancellationToken = cancel.Token });
        Assert.Throws<OperationCanceledException>(() => trainer.Fit(ToyData.Load(ml, 24)));
    }

    [TestMethod]
    public void TrainingProgressIsLoggedOnTheContextAndReported()
    {
        var ml = new MLContext(seed: 1);
        var lines = new List<string>();
        var steps = new List<MLNetExt.Training.Telemetry.TrainingProgress>();
        ml.Log += (_, e) => { lock (lines) lines.Add(e.Message); };
        var options = BltMLNetData.Classifier(epochs: 1) with { LogEvery = 1, Progress = new SyncProgress(steps.Add), ValidationSet = ToyData.Load(ml, 9, seed: 5) };
        ml.MulticlassClassification.Trainers.Blt(options).Fit(ToyData.Load(ml, 16));
        Assert.IsTrue(lines.Any(l => l.Contains("training step 2/2: loss")), string.Join("\n", lines.Where(l => l.Contains("Blt"))));
        Assert.IsTrue(lines.Any(l => l.Contains("training epoch 1/1: training loss") && l.Contains("validation loss")), string.Join("\n", lines.Where(l => l.Contains("Blt"))));
        CollectionAssert.AreEqual(new long[] { 1, 2 }, steps.Select(p => p.Step).ToArray());
        Assert.IsTrue(steps.All(p => p.Phase == "training"));
        Assert.IsNotNull(steps[^1].EvalLoss, "the validation set is scored after the epoch");
    }

    [TestMethod]
    public void TwoReplicasInBFloat16TrainAndScore()
    {
        var ml = new MLContext(seed: 1);
        var model = ml.MulticlassClassification.Trainers.Blt(BltMLNetData.Classifier(epochs: 1) with
        {
            Devices = ["cpu", "cpu"], Precision = MLNetExt.Training.TrainingPrecision.BFloat16,
        }).Fit(ToyData.Load(ml, 16));
        var scores = ml.Data.CreateEnumerable<Prediction>(model.Transform(ToyData.Load(ml, 6, seed: 3)), reuseRowObject: false).ToArray();
        Assert.IsTrue(scores.All(p => p.Score.All(float.IsFinite) && Math.Abs(p.Score.Sum() - 1) < 1e-4), "finite probabilities");
    }

    [TestMethod]
    public void TheShortcutTrainsTheModelItIsGiven()
    {
        var ml = new MLContext(seed: 1);
        var model = ml.MulticlassClassification.Trainers.Blt(sentence1ColumnName: "Text", model: BltSource.FromScratch(BltSize.Tiny), epochs: 1)
            .Fit(ToyData.Load(ml, 8));
        Assert.AreEqual(BltSource.Preset(BltSize.Tiny).GlobalConfig, model.Model.Config.GlobalConfig);
    }

    [TestMethod]
    public void WithoutASeedTheMLContextsSeedDecides()
    {
        string Scores(int contextSeed)
        {
            var ml = new MLContext(seed: contextSeed);
            var model = ml.MulticlassClassification.Trainers.Blt(BltMLNetData.Classifier(epochs: 1) with { Seed = null }).Fit(ToyData.Load(ml, 16));
            return ScoreDump.ToText(model.Transform(ToyData.Load(ml, 6, seed: 4)), "Score");
        }
        Assert.AreEqual(Scores(1), Scores(1));
        Assert.AreNotEqual(Scores(1), Scores(2));
    }

    sealed class SyncProgress(Action<MLNetExt.Training.Telemetry.TrainingProgress> report) : IProgress<MLNetExt.Training.Telemetry.TrainingProgress>
    {
        public void Report(MLNetExt.Training.Telemetry.TrainingProgress value) => report(value);
    }
}
