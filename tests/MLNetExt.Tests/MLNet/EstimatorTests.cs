using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Tests.MLNet.Toy;
using MLNetExt.Training.MLNet;

namespace MLNetExt.Tests.MLNet;

[TestClass]
public sealed class EstimatorTests
{
    [TestMethod]
    public void MissingTextColumnIsNamedAtFitAndGetOutputSchema()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(ToyData.Rows(6));
        var estimator = new ToyClassifierEstimator(ml, new ToyClassifierOptions { TextColumnName = "Body" });
        var fit = Assert.Throws<ArgumentOutOfRangeException>(() => estimator.Fit(data));
        StringAssert.Contains(fit.Message, "Column 'Body' not found");
        var shape = Assert.Throws<ArgumentOutOfRangeException>(() => estimator.GetOutputSchema(SchemaShape.Create(data.Schema)));
        StringAssert.Contains(shape.Message, "Column 'Body' not found");
    }

    [TestMethod]
    public void WrongLabelTypeIsNamedWithExpectedAndActualType()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(ToyData.Rows(6).Select(r => new FloatLabelRow { Text = r.Text, Label = 1 }));
        var estimator = new ToyClassifierEstimator(ml, new ToyClassifierOptions());
        var fit = Assert.Throws<ArgumentOutOfRangeException>(() => estimator.Fit(data));
        StringAssert.Contains(fit.Message, "Column 'Label' must be of type Key or String, got Single");
        var shape = Assert.Throws<ArgumentOutOfRangeException>(() => estimator.GetOutputSchema(SchemaShape.Create(data.Schema)));
        StringAssert.Contains(shape.Message, "Column 'Label' must be of type Key or String, got Single");
    }

    [TestMethod]
    public void OutputSchemaShapeMatchesTheFittedSchema()
    {
        var ml = new MLContext(seed: 1);
        var data = ToyData.Load(ml, 12);
        var estimator = new ToyClassifierEstimator(ml, new ToyClassifierOptions { Epochs = 1 });
        var shape = estimator.GetOutputSchema(SchemaShape.Create(data.Schema));
        var fitted = SchemaShape.Create(estimator.Fit(data).GetOutputSchema(data.Schema));
        foreach (string name in new[] { "PredictedLabel", "Score" })
        {
            Assert.IsTrue(shape.TryFindColumn(name, out var expected));
            Assert.IsTrue(fitted.TryFindColumn(name, out var actual));
            Assert.IsTrue(expected.IsCompatibleWith(actual), $"{name}: shape {expected} vs fitted {actual}");
        }
    }

    [TestMethod]
    public void TextTransformerRejectsAnInputWithoutItsColumn()
    {
        var ml = new MLContext(seed: 1);
        var model = new ToyClassifierEstimator(ml, new ToyClassifierOptions { Epochs = 1 }).Fit(ToyData.Load(ml, 12));
        var other = ml.Data.LoadFromEnumerable(new[] { new FloatLabelRow() });
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => model.Transform(ml.Transforms.DropColumns("Text").Fit(other).Transform(other)));
        StringAssert.Contains(error.Message, "Column 'Text' not found");
    }

    [TestMethod]
    public void StringLabelsGetKeysInFirstOccurrenceOrderAndUnseenOnesFail()
    {
        var ml = new MLContext(seed: 1);
        var labels = LabelKeys.Collect(ml.Data.LoadFromEnumerable(new[] { "b", "", "a", "b", "c" }.Select(l => new TextRow { Label = l })), "Label");
        CollectionAssert.AreEqual(new[] { "b", "a", "c" }, labels.Names.ToArray());

        var rows = ml.Data.LoadFromEnumerable(new[] { "a", "", "z" }.Select(l => new TextRow { Label = l }));
        using var cursor = rows.GetRowCursor(rows.Schema);
        var read = labels.MakeReader(cursor, "Label");
        Assert.IsTrue(cursor.MoveNext());
        Assert.AreEqual(1, read());
        Assert.IsTrue(cursor.MoveNext());
        Assert.AreEqual(-1, read());
        Assert.IsTrue(cursor.MoveNext());
        StringAssert.Contains(Assert.Throws<InvalidDataException>(() => read()).Message, "label 'z'");
    }

    [TestMethod]
    public void KeyLabelsKeepTheirKeyValues()
    {
        var ml = new MLContext(seed: 1);
        var data = ToyData.Load(ml, 9);
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue).Fit(data).Transform(data);
        CollectionAssert.AreEqual(new[] { "digits", "marks", "vowels" }, LabelKeys.Collect(keyed, "Label").Names.ToArray());
    }

    [TestMethod]
    public void ProgressReachesMLContextLog()
    {
        var ml = new MLContext(seed: 1);
        var messages = new List<string>();
        ml.Log += (_, e) => { lock (messages) messages.Add(e.Message); };
        new ToyClassifierEstimator(ml, new ToyClassifierOptions { Epochs = 2 }).Fit(ToyData.Load(ml, 12));
        Assert.IsTrue(messages.Any(m => m.Contains("epoch 2/2: loss")), string.Join("\n", messages.TakeLast(5)));
    }

    [TestMethod]
    public void CancelExecutionStopsFittingPromptly()
    {
        var ml = new MLContext(seed: 1);
        var data = ToyData.Load(ml, 60);
        // Far more epochs than 10 s allow, yet finite: a broken cancellation fails the test rather than hanging it.
        var estimator = new ToyClassifierEstimator(ml, new ToyClassifierOptions { Epochs = 5_000 });
        var watch = System.Diagnostics.Stopwatch.StartNew();
        using var timer = new Timer(_ => ml.CancelExecution(), null, 300, Timeout.Infinite);
        Assert.Throws<OperationCanceledException>(() => estimator.Fit(data));
        Assert.IsLessThan(10.0, watch.Elapsed.TotalSeconds);
    }

    [TestMethod]
    public void CancellationTokenStopsFitting()
    {
        var ml = new MLContext(seed: 1);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var estimator = new ToyClassifierEstimator(ml, new ToyClassifierOptions { Epochs = 5_000, CancellationToken = cancel.Token });
        Assert.Throws<OperationCanceledException>(() => estimator.Fit(ToyData.Load(ml, 60)));
    }

    [TestMethod]
    public void GpuDeviceIdIsHonouredOrRefusedPerFallbackToCpu()
    {
        var ml = new MLContext(seed: 1) { GpuDeviceId = 0, FallbackToCpu = false };
        if (TorchSharp.torch.cuda.is_available())
        {
            using var session = new TrainingSession(ml, "test", new ToyClassifierOptions());
            Assert.AreEqual(TorchSharp.DeviceType.CUDA, session.Device.type);
            return;
        }
        StringAssert.Contains(Assert.Throws<InvalidOperationException>(() => new TrainingSession(ml, "test", new ToyClassifierOptions())).Message, "FallbackToCpu is false");
        ml.FallbackToCpu = true;
        using var fallback = new TrainingSession(ml, "test", new ToyClassifierOptions());
        Assert.AreEqual(TorchSharp.DeviceType.CPU, fallback.Device.type);
    }
}
