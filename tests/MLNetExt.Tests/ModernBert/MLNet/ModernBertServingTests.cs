using Microsoft.ML;
using MLNetExt.ModernBert.MLNet;
using MLNetExt.Tests.MLNet;

namespace MLNetExt.Tests.ModernBert.MLNet;

[TestClass]
public sealed class ModernBertServingTests
{
    /// <summary>A whole pipeline (MapValueToKey → ModernBERT → MapKeyToValue) served from 8 threads by one engine.</summary>
    [TestMethod]
    public void OneEngineServesEightThreadsWithinTheBatchTolerance()
    {
        var ml = new MLContext(seed: 1);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.ModernBert(MLNetFixtures.Classifier(epochs: 1)))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
            .Fit(ToyData.Load(ml, 12));
        var model = pipeline.OfType<ModernBertSequenceTransformer>().Single();
        var rows = ToyData.Rows(8 * 6, seed: 5);
        var single = ml.Model.CreatePredictionEngine<TextRow, LabelPrediction>(pipeline);
        var expected = rows.Select(single.Predict).ToArray();

        long before = model.ModelCalls;
        var actual = new LabelPrediction[rows.Length];
        var errors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        using (var engine = ml.Model.CreateMicroBatchPredictionEngine<TextRow, LabelPrediction>(pipeline, maxBatchRows: 8, maxWait: TimeSpan.FromMilliseconds(50)))
        {
            var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
            {
                try
                {
                    for (int i = t; i < rows.Length; i += 8) actual[i] = engine.Predict(rows[i]);
                }
                catch (Exception e) { errors.Enqueue(e); }
            })).ToList();
            threads.ForEach(t => t.Start());
            foreach (var thread in threads) Assert.IsTrue(thread.Join(TimeSpan.FromSeconds(60)), "a caller thread did not finish");
        }

        Assert.IsEmpty(errors, string.Join("\n", errors));
        Assert.IsLessThan(rows.Length, model.ModelCalls - before, "no batch formed");
        for (int i = 0; i < rows.Length; i++)
        {
            Assert.AreEqual(expected[i].PredictedLabel, actual[i].PredictedLabel, $"row {i}");
            // Packed batches round differently from single rows (README): equal within 1e-5.
            for (int c = 0; c < expected[i].Score.Length; c++) Assert.AreEqual(expected[i].Score[c], actual[i].Score[c], 1e-5, $"row {i} class {c}");
        }
    }
}
