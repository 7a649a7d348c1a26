using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.ModernBert.MLNet;
using MLNetExt.ScoringHost;
using MLNetExt.Tests.MLNet;

namespace MLNetExt.Tests.ModernBert.MLNet;

[TestClass]
public sealed class TextClassificationTests
{
    [TestMethod]
    public void LearnsASeparableTaskAndEvaluates()
    {
        var ml = new MLContext(seed: 1);
        var model = ml.MulticlassClassification.Trainers.ModernBert(MLNetFixtures.Classifier()).Fit(ToyData.Load(ml, 45));
        CollectionAssert.AreEqual(new[] { "vowels", "digits", "marks" }, model.Labels!.Names.ToArray());
        // Evaluators want a key label: map the test labels with the model's classes, in its order.
        var test = ml.Transforms.Conversion.MapValueToKey("Label", keyData: ml.Data.LoadFromEnumerable(model.Labels.Names.Select(n => new { Label = n })))
            .Fit(ToyData.Load(ml, 30, seed: 11)).Transform(ToyData.Load(ml, 30, seed: 11));
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));
        Assert.IsGreaterThanOrEqualTo(0.9, metrics.MacroAccuracy, $"macro accuracy {metrics.MacroAccuracy}");
    }

    [TestMethod]
    public void TwoClassesAndKeyLabelsWork()
    {
        var ml = new MLContext(seed: 1);
        var rows = ToyData.Rows(40).Where(r => r.Label != "marks").ToArray();
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.ModernBert(MLNetFixtures.Classifier()));
        var scored = pipeline.Fit(ml.Data.LoadFromEnumerable(rows)).Transform(ml.Data.LoadFromEnumerable(rows));
        Assert.AreEqual(2, scored.Schema["Score"].Type.GetVectorSize());
        Assert.IsGreaterThanOrEqualTo(0.9, ml.MulticlassClassification.Evaluate(scored).MicroAccuracy);
    }

    [TestMethod]
    public void PredictionEngineMatchesBatchScoring()
    {
        var ml = new MLContext(seed: 1);
        var model = ml.MulticlassClassification.Trainers.ModernBert(MLNetFixtures.Classifier(epochs: 1)).Fit(ToyData.Load(ml, 12));
        var rows = ToyData.Rows(20, seed: 4);
        long before = model.ModelCalls;
        var batch = ml.Data.CreateEnumerable<Prediction>(model.Transform(ml.Data.LoadFromEnumerable(rows)), reuseRowObject: false).ToArray();
        Assert.AreEqual(1, model.ModelCalls - before, "20 short rows fit one packed batch");
        var engine = ml.Model.CreatePredictionEngine<TextRow, Prediction>(model);
        for (int i = 0; i < rows.Length; i++)
        {
            var single = engine.Predict(rows[i]);
            Assert.AreEqual(batch[i].PredictedLabel, single.PredictedLabel, $"row {i}");
            // A row scored with other rows pads and blocks its matrix products differently: equal up to float rounding.
            for (int c = 0; c < single.Score.Length; c++) Assert.AreEqual(batch[i].Score[c], single.Score[c], 1e-5, $"row {i} class {c}");
            // Scored alone, the batch path is the engine's path, bit for bit.
            var alone = ml.Data.CreateEnumerable<Prediction>(model.Transform(ml.Data.LoadFromEnumerable(new[] { rows[i] })), false).Single();
            CollectionAssert.AreEqual(alone.Score, single.Score, $"row {i}");
        }
    }

    [TestMethod]
    public void MissingAndMistypedColumnsAreNamedAtFitAndGetOutputSchema()
    {
        var ml = new MLContext(seed: 1);
        var data = ToyData.Load(ml, 6);
        var noBody = ml.MulticlassClassification.Trainers.ModernBert(MLNetFixtures.Classifier() with { Sentence1ColumnName = "Body" });
        StringAssert.Contains(Assert.Throws<ArgumentOutOfRangeException>(() => noBody.Fit(data)).Message, "Column 'Body' not found; expected a String column");
        StringAssert.Contains(Assert.Throws<ArgumentOutOfRangeException>(() => noBody.GetOutputSchema(SchemaShape.Create(data.Schema))).Message, "Column 'Body' not found");

        var floatLabels = ml.Data.LoadFromEnumerable(ToyData.Rows(6).Select(r => new FloatLabelRow { Text = r.Text, Label = 1 }));
        var trainer = ml.MulticlassClassification.Trainers.ModernBert(MLNetFixtures.Classifier());
        StringAssert.Contains(Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Fit(floatLabels)).Message, "Column 'Label' must be of type Key or String, got Single");

        var model = trainer.Fit(data);
        var noText = ml.Data.LoadFromEnumerable(new[] { new PairRow() });
        StringAssert.Contains(Assert.Throws<ArgumentOutOfRangeException>(() => model.Transform(noText)).Message, "Column 'Text' not found");
    }

    [TestMethod]
    public void UnseenLabelsEmptyAndOverlongTextsScore()
    {
        var ml = new MLContext(seed: 1);
        var model = ml.MulticlassClassification.Trainers.ModernBert(MLNetFixtures.Classifier(epochs: 1)).Fit(ToyData.Load(ml, 12));
        // Scoring never reads the label, so a class the model never saw changes nothing; empty text is [CLS] [SEP].
        var rows = new[] { new TextRow { Text = "", Label = "never seen" }, new TextRow { Text = new string('a', 500), Label = "vowels" } };
        var scored = ml.Data.CreateEnumerable<Prediction>(model.Transform(ml.Data.LoadFromEnumerable(rows)), reuseRowObject: false).ToArray();
        Assert.HasCount(2, scored);
        Assert.IsTrue(scored.All(p => p.PredictedLabel is >= 1 and <= 3 && Math.Abs(p.Score.Sum() - 1) < 1e-5));
        Assert.AreEqual(1, model.Encoder.TruncatedRows);
    }

    [TestMethod]
    public void CancellationStopsTrainingPromptly()
    {
        var ml = new MLContext(seed: 1);
        using var cancel = new CancellationTokenSource();
        int steps = 0;
        var options = MLNetFixtures.Classifier(epochs: 1000) with
        {
            CancellationToken = cancel.Token,
            Progress = new SyncProgress(_ => { if (++steps == 3) cancel.Cancel(); }),
        };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Throws<OperationCanceledException>(() => ml.MulticlassClassification.Trainers.ModernBert(options).Fit(ToyData.Load(ml, 30)));
        Assert.AreEqual(3, steps, "no step after the one that cancelled");
        Assert.IsLessThan(60, clock.Elapsed.TotalSeconds);
    }

    [TestMethod]
    public void MLContextCancelExecutionStopsTraining()
    {
        var ml = new MLContext(seed: 1);
        var earlier = ml.MulticlassClassification.Trainers.ModernBert(MLNetFixtures.Classifier(epochs: 1)).Fit(ToyData.Load(ml, 6));
        int steps = 0;
        var options = MLNetFixtures.Classifier(epochs: 1000) with { Progress = new SyncProgress(_ => { if (++steps == 2) ml.CancelExecution(); }) };
        Assert.Throws<OperationCanceledException>(() => ml.MulticlassClassification.Trainers.ModernBert(options).Fit(ToyData.Load(ml, 30)));
        Assert.AreEqual(2, steps);
        // ML.NET's rule, as the README says: a cancelled context is finished, models made with it included.
        Assert.Throws<OperationCanceledException>(() => ml.Data.CreateEnumerable<Prediction>(earlier.Transform(ToyData.Load(ml, 2)), false).ToArray());
    }

    [TestMethod]
    public void WarmUpAndPerEpochMetricsReachTheMLContextLog()
    {
        var ml = new MLContext(seed: 1);
        var lines = new List<string>();
        ml.Log += (_, e) => { if (e.Message.Contains(" epoch ")) lines.Add(e.Message); };
        var options = MLNetFixtures.Classifier(epochs: 2) with
        {
            Model = ModernBertSource.FromScratch(MLNetExt.ModernBert.ModernBertConfig.Tiny with { MaxPositionEmbeddings = 128 }, maskedLmEpochs: 1),
            ValidationSet = ToyData.Load(ml, 9, seed: 5),
        };
        ml.MulticlassClassification.Trainers.ModernBert(options).Fit(ToyData.Load(ml, 12));
        Assert.HasCount(3, lines, string.Join("\n", lines));
        StringAssert.Contains(lines[0], "masked-LM warm-up epoch 1/1: training loss");
        StringAssert.Contains(lines[2], "fine-tuning epoch 2/2: training loss");
        StringAssert.Contains(lines[2], "validation loss");
    }

    [TestMethod]
    public void TheTruncationCounterCountsScoredRowsOnly()
    {
        var ml = new MLContext(seed: 1);
        var rows = ToyData.Rows(12).Select((r, i) => i % 3 == 0 ? new TextRow { Text = string.Join(" ", Enumerable.Repeat(r.Text, 80)), Label = r.Label } : r).ToArray();
        var lines = new List<string>();
        ml.Log += (_, e) => { if (e.Message.Contains("truncated")) lines.Add(e.Message); };
        var model = ml.MulticlassClassification.Trainers.ModernBert(MLNetFixtures.Classifier(epochs: 1)).Fit(ml.Data.LoadFromEnumerable(rows));
        StringAssert.Contains(lines.Single(), "training data: 12 rows", "the training rows' truncation is in the training log");
        StringAssert.Contains(lines.Single(), "4 truncated to 64 tokens");
        Assert.AreEqual(0, model.Encoder.TruncatedRows, "no row scored yet");
        ml.Data.CreateEnumerable<Prediction>(model.Transform(ml.Data.LoadFromEnumerable(new[] { new TextRow { Text = new string('a', 500) } })), false).ToArray();
        Assert.AreEqual(1, model.Encoder.TruncatedRows);
        StringAssert.Contains(lines[^1], "(1 so far)");
    }

    [TestMethod]
    public void BothModelsNameTheTextOptionAndTheInputsColumnsWhenTheDefaultColumnIsMissing()
    {
        var ml = new MLContext(seed: 1);
        var data = ToyData.Load(ml, 6);
        foreach (var trainer in new IEstimator<ITransformer>[] { ml.MulticlassClassification.Trainers.ModernBert(), ml.MulticlassClassification.Trainers.Blt() })
        {
            string message = Assert.Throws<ArgumentOutOfRangeException>(() => trainer.GetOutputSchema(SchemaShape.Create(data.Schema))).Message;
            StringAssert.Contains(message, "Column 'Sentence1' not found; expected a ");
            StringAssert.Contains(message, "Set Sentence1ColumnName to the column to use. The input has: Text, Label.");
        }
    }

    sealed class SyncProgress(Action<MLNetExt.Training.Telemetry.TrainingProgress> report) : IProgress<MLNetExt.Training.Telemetry.TrainingProgress>
    {
        public void Report(MLNetExt.Training.Telemetry.TrainingProgress value) => report(value);
    }
}
