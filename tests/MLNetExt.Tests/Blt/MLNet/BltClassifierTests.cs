using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Blt.MLNet;
using MLNetExt.ScoringHost;
using MLNetExt.Tests.MLNet;

namespace MLNetExt.Tests.Blt.MLNet;

[TestClass]
public sealed class BltClassifierTests
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
        var options = BltMLNetData.Classifier(epochs: 100_000);
        var trainer = ml.MulticlassClassification.Trainers.Blt(options with { Training = options.Training with { Cancellation = cancel.Token } });
        Assert.Throws<OperationCanceledException>(() => trainer.Fit(ToyData.Load(ml, 24)));
    }

    [TestMethod]
    public void TrainingProgressIsLoggedOnTheContext()
    {
        var ml = new MLContext(seed: 1);
        var lines = new List<string>();
        ml.Log += (_, e) => { lock (lines) lines.Add(e.Message); };
        ml.MulticlassClassification.Trainers.Blt(BltMLNetData.Classifier(epochs: 1) with { Training = BltMLNetData.QuickTraining(1) with { LogEvery = 1 } }).Fit(ToyData.Load(ml, 16));
        Assert.IsTrue(lines.Any(l => l.Contains("step 2/2: loss")), string.Join("\n", lines.Where(l => l.Contains("Blt"))));
    }

    [TestMethod]
    public void TwoReplicasInBFloat16TrainAndScore()
    {
        var ml = new MLContext(seed: 1);
        var options = BltMLNetData.Classifier(epochs: 1);
        var model = ml.MulticlassClassification.Trainers.Blt(options with
        {
            Training = options.Training with { Devices = ["cpu", "cpu"], Precision = MLNetExt.Training.TrainingPrecision.BFloat16 },
        }).Fit(ToyData.Load(ml, 16));
        var scores = ml.Data.CreateEnumerable<Prediction>(model.Transform(ToyData.Load(ml, 6, seed: 3)), reuseRowObject: false).ToArray();
        Assert.IsTrue(scores.All(p => p.Score.All(float.IsFinite) && Math.Abs(p.Score.Sum() - 1) < 1e-4), "finite probabilities");
    }

    [TestMethod]
    public void RefittingWithTheSameOutputDirectoryResumesFromTheFinalCheckpoint()
    {
        using var dir = new PersistenceTests.TempDir();
        var options = BltMLNetData.Classifier(epochs: 2) with { Training = BltMLNetData.QuickTraining(2) with { OutputDirectory = dir.Root } };
        string Scores(int dataSeed)
        {
            var ml = new MLContext(seed: 1);
            var model = ml.MulticlassClassification.Trainers.Blt(options).Fit(ToyData.Load(ml, 24, dataSeed));
            return ScoreDump.ToText(model.Transform(ToyData.Load(ml, 10, seed: 4)), "Score");
        }
        string first = Scores(1);
        Assert.IsTrue(Directory.EnumerateFileSystemEntries(Path.Combine(dir.Root, "checkpoints")).Any(), "a checkpoint was written");
        // Other rows (same count, so the same schedule): training on them would change the scores; resuming at the last step doesn't.
        Assert.AreEqual(first, Scores(2));
    }
}
