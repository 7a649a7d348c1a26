using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.ML;
using MLNetExt.Tests.MLNet.Toy;
using MLNetExt.Training.MLNet;

namespace MLNetExt.Tests.MLNet;

public sealed class LabelPrediction
{
    public string PredictedLabel { get; set; } = "";
    public float[] Score { get; set; } = [];
}

/// <summary>
/// One <see cref="MicroBatchPredictionEngine{TSrc, TDst}"/> shared by many threads, over a whole fitted pipeline
/// (MapValueToKey → toy classifier → MapKeyToValue). The toy scores batches bit for bit like single rows, so every
/// result must equal its row's own PredictionEngine result exactly. Waits that should end use a long timeout (a
/// failure, never a hang); waits that must not end yet are checked only where nothing could end them.
/// </summary>
[TestClass]
public sealed class MicroBatchPredictionEngineTests
{
    static readonly TimeSpan Long = TimeSpan.FromSeconds(60);
    static readonly TimeSpan Short = TimeSpan.FromMilliseconds(300);

    static (MLContext Ml, ITransformer Pipeline, ToyClassifierTransformer Toy) FitPipeline()
    {
        TorchSharp.torch.set_num_threads(1);
        var ml = new MLContext(seed: 1);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(new ToyClassifierEstimator(ml, new ToyClassifierOptions { Epochs = 15 }))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
            .Fit(ToyData.Load(ml, 60));
        var toy = pipeline.OfType<ToyClassifierTransformer>().Single();
        return (ml, pipeline, toy);
    }

    /// <summary>Label and exact score bits: equal strings mean equal results.</summary>
    static string Describe(LabelPrediction p) =>
        $"{p.PredictedLabel}|{string.Join(',', p.Score.Select(s => BitConverter.SingleToInt32Bits(s).ToString("x8")))}";

    static string[] SingleRowResults(MLContext ml, ITransformer pipeline, TextRow[] rows)
    {
        var engine = ml.Model.CreatePredictionEngine<TextRow, LabelPrediction>(pipeline);
        return rows.Select(r => Describe(engine.Predict(r))).ToArray();
    }

    static MicroBatchPredictionEngine<TextRow, LabelPrediction> Engine(MLContext ml, ITransformer pipeline, int maxBatchRows, TimeSpan maxWait, int queueCapacity = 1024) =>
        ml.Model.CreateMicroBatchPredictionEngine<TextRow, LabelPrediction>(pipeline, maxBatchRows, maxWait, queueCapacity);

    static T Done<T>(Task<T> task)
    {
        Assert.IsTrue(task.Wait(Long), "the request did not complete");
        return task.Result;
    }

    /// <summary>Blocks every model call until opened, telling the test when a call has started.</summary>
    sealed class ModelGate
    {
        readonly SemaphoreSlim _entered = new(0);
        readonly ManualResetEventSlim _open = new();

        public void Hold(IReadOnlyList<long[]> _)
        {
            _entered.Release();
            _open.Wait();
        }

        public void WaitEntered() => Assert.IsTrue(_entered.Wait(Long), "no model call started");
        public void Open() => _open.Set();
    }

    // The issue's item 7: one ML.NET PredictionEngine shared by 8 threads gave other rows' results. This is what we
    // tell users to share instead.
    [TestMethod]
    public void SixteenThreadsOnOneEngineEachGetTheirOwnRowsResultInFewModelCalls()
    {
        var (ml, pipeline, toy) = FitPipeline();
        var rows = ToyData.Rows(16 * 24, seed: 11);
        var expected = SingleRowResults(ml, pipeline, rows);
        long callsBefore = toy.ModelCalls;
        toy.BatchSizes.Clear();

        var actual = new string[rows.Length];
        var errors = new ConcurrentQueue<Exception>();
        using (var engine = Engine(ml, pipeline, maxBatchRows: 16, maxWait: TimeSpan.FromMilliseconds(20)))
        using (var start = new Barrier(16))
        {
            var threads = Enumerable.Range(0, 16).Select(t => new Thread(() =>
            {
                start.SignalAndWait();
                try
                {
                    // Half the threads block in Predict, half wait on PredictAsync.
                    for (int i = t; i < rows.Length; i += 16)
                        actual[i] = Describe(t % 2 == 0 ? engine.Predict(rows[i]) : engine.PredictAsync(rows[i]).GetAwaiter().GetResult());
                }
                catch (Exception e) { errors.Enqueue(e); }
            })).ToList();
            threads.ForEach(t => t.Start());
            foreach (var thread in threads) Assert.IsTrue(thread.Join(Long), "a caller thread did not finish");
        }

        Assert.IsEmpty(errors, string.Join("\n", errors));
        CollectionAssert.AreEqual(expected, actual);
        long calls = toy.ModelCalls - callsBefore;
        Assert.IsLessThan(rows.Length / 2, calls, $"{calls} model calls for {rows.Length} rows: batches did not form");
        Assert.IsGreaterThan(1, toy.BatchSizes.Max());
    }

    [TestMethod]
    public void APartialBatchWaitsForCompanyAndAFullOneGoesAtOnce()
    {
        var (ml, pipeline, toy) = FitPipeline();
        var rows = ToyData.Rows(4, seed: 12);
        var expected = SingleRowResults(ml, pipeline, rows);
        toy.BatchSizes.Clear();
        using var engine = Engine(ml, pipeline, maxBatchRows: 4, maxWait: TimeSpan.FromMinutes(1));

        var first = engine.PredictAsync(rows[0]);
        Assert.IsFalse(first.Wait(Short), "a partial batch went before MaxWait");
        var rest = rows.Skip(1).Select(r => engine.PredictAsync(r)).ToArray();
        // Well under the minute MaxWait: the batch went as soon as it was full.
        CollectionAssert.AreEqual(expected, new[] { first }.Concat(rest).Select(t => Describe(Done(t))).ToArray());
        CollectionAssert.AreEqual(new[] { 4 }, toy.BatchSizes);
    }

    [TestMethod]
    public void APartialBatchGoesOnceItsOldestRequestHasWaitedMaxWait()
    {
        var (ml, pipeline, toy) = FitPipeline();
        var row = ToyData.Rows(1, seed: 13);
        var expected = SingleRowResults(ml, pipeline, row);
        toy.BatchSizes.Clear();
        var maxWait = TimeSpan.FromMilliseconds(200);
        using var engine = Engine(ml, pipeline, maxBatchRows: 4, maxWait);

        var clock = Stopwatch.StartNew();
        var result = Describe(Done(engine.PredictAsync(row[0])));
        Assert.IsGreaterThanOrEqualTo(maxWait, clock.Elapsed);
        Assert.AreEqual(expected[0], result);
        CollectionAssert.AreEqual(new[] { 1 }, toy.BatchSizes);
    }

    [TestMethod]
    public async Task AFullQueueMakesCallersWaitForAPlaceAndAWaitingCallerCanCancel()
    {
        var (ml, pipeline, toy) = FitPipeline();
        var rows = ToyData.Rows(6, seed: 14);
        var expected = SingleRowResults(ml, pipeline, rows);
        var gate = new ModelGate();
        toy.BeforeBatch = gate.Hold;
        using var engine = Engine(ml, pipeline, maxBatchRows: 1, maxWait: TimeSpan.Zero, queueCapacity: 2);
        try
        {
            var scoring = engine.PredictAsync(rows[0]);
            gate.WaitEntered();
            var queued = new[] { engine.PredictAsync(rows[1]), engine.PredictAsync(rows[2]) };
            Assert.AreEqual(2, engine.Queued);

            var waiting = engine.PredictAsync(rows[3]);
            var blocked = Task.Run(() => engine.Predict(rows[4]));
            using var cancel = new CancellationTokenSource();
            var cancelled = engine.PredictAsync(rows[5], cancel.Token);
            Assert.IsFalse(waiting.Wait(Short), "a caller got past a full queue");
            Assert.AreEqual(2, engine.Queued);
            cancel.Cancel();
            await Assert.ThrowsAsync<OperationCanceledException>(() => cancelled.WaitAsync(Long));
            Assert.IsFalse(blocked.IsCompleted);

            gate.Open();
            var results = new[] { scoring, queued[0], queued[1], waiting, blocked }.Select(t => Describe(Done(t))).ToArray();
            CollectionAssert.AreEqual(expected[..5], results);
        }
        finally
        {
            gate.Open();
        }
    }

    [TestMethod]
    public async Task ACancelledQueuedRequestEndsAtOnceAndIsNeverScored()
    {
        var (ml, pipeline, toy) = FitPipeline();
        var rows = ToyData.Rows(3, seed: 15);
        var expected = SingleRowResults(ml, pipeline, rows);
        toy.BatchSizes.Clear();
        var gate = new ModelGate();
        toy.BeforeBatch = gate.Hold;
        using var engine = Engine(ml, pipeline, maxBatchRows: 4, maxWait: TimeSpan.Zero);
        try
        {
            var scoring = engine.PredictAsync(rows[0]);
            gate.WaitEntered();
            using var cancel = new CancellationTokenSource();
            var cancelled = engine.PredictAsync(rows[1], cancel.Token);
            var after = engine.PredictAsync(rows[2]);
            cancel.Cancel();
            Assert.IsTrue(cancelled.IsCanceled, "cancelling did not end the queued call at once");
            await Assert.ThrowsAsync<OperationCanceledException>(() => cancelled.WaitAsync(Long));

            gate.Open();
            Assert.AreEqual(expected[0], Describe(Done(scoring)));
            Assert.AreEqual(expected[2], Describe(Done(after)));
            CollectionAssert.AreEqual(new[] { 1, 1 }, toy.BatchSizes);
        }
        finally
        {
            gate.Open();
        }
    }

    [TestMethod]
    public async Task ARowThatMakesTheModelThrowFailsOnlyItsOwnCaller()
    {
        var (ml, pipeline, toy) = FitPipeline();
        var good = ToyData.Rows(3, seed: 16);
        var expected = SingleRowResults(ml, pipeline, good);
        toy.BatchSizes.Clear();
        toy.BeforeBatch = items =>
        {
            if (items.Any(i => i.Contains('Z'))) throw new InvalidOperationException("poison row");
        };
        using var engine = Engine(ml, pipeline, maxBatchRows: 4, maxWait: TimeSpan.FromMinutes(1));

        var poison = new TextRow { Text = "abcZ", Label = "vowels" };
        var calls = new[] { engine.PredictAsync(good[0]), engine.PredictAsync(poison), engine.PredictAsync(good[1]), engine.PredictAsync(good[2]) };

        // The model's own exception, not one wrapped by ML.NET's parallel cursors.
        var error = await Assert.ThrowsExactlyAsync<InvalidOperationException>(() => calls[1].WaitAsync(Long));
        Assert.AreEqual("poison row", error.Message);
        CollectionAssert.AreEqual(expected, new[] { calls[0], calls[2], calls[3] }.Select(t => Describe(Done(t))).ToArray());
        // The batch of four failed; each row was then scored alone.
        CollectionAssert.AreEqual(new[] { 4, 1, 1, 1, 1 }, toy.BatchSizes);
    }

    [TestMethod]
    public async Task DisposeFailsQueuedAndWaitingRequestsAndLetsTheBatchInFlightFinish()
    {
        var (ml, pipeline, toy) = FitPipeline();
        var rows = ToyData.Rows(5, seed: 17);
        var expected = SingleRowResults(ml, pipeline, rows);
        var gate = new ModelGate();
        toy.BeforeBatch = gate.Hold;
        var engine = Engine(ml, pipeline, maxBatchRows: 1, maxWait: TimeSpan.Zero, queueCapacity: 1);
        try
        {
            var scoring = engine.PredictAsync(rows[0]);
            gate.WaitEntered();
            var queued = engine.PredictAsync(rows[1]);
            var waiting = engine.PredictAsync(rows[2]);
            var blocked = Task.Run(() => engine.Predict(rows[3]));

            var disposing = Task.Run(engine.Dispose);
            // All of these end while the model is still held: Dispose does not wait to fail them.
            await Assert.ThrowsAsync<ObjectDisposedException>(() => queued.WaitAsync(Long));
            await Assert.ThrowsAsync<ObjectDisposedException>(() => waiting.WaitAsync(Long));
            await Assert.ThrowsAsync<ObjectDisposedException>(() => blocked.WaitAsync(Long));
            Assert.ThrowsExactly<ObjectDisposedException>(() => engine.Predict(rows[4]));
            Assert.ThrowsExactly<ObjectDisposedException>(() => _ = engine.PredictAsync(rows[4]));
            Assert.IsFalse(disposing.IsCompleted, "Dispose returned before the batch in flight finished");

            gate.Open();
            Assert.AreEqual(expected[0], Describe(Done(scoring)));
            Assert.IsTrue(disposing.Wait(Long), "Dispose did not return");
            engine.Dispose();
        }
        finally
        {
            gate.Open();
            engine.Dispose();
        }
    }

    [TestMethod]
    public void OptionsAreCheckedAtCreationNamingTheOptionAndItsRange()
    {
        var (ml, pipeline, _) = FitPipeline();
        var cases = new (MicroBatchPredictionEngineOptions Options, string Name, string Range)[]
        {
            (new() { MaxBatchRows = 0 }, "MaxBatchRows", "between 1 and 65536"),
            (new() { MaxBatchRows = 65_537 }, "MaxBatchRows", "between 1 and 65536"),
            (new() { MaxWait = TimeSpan.FromMilliseconds(-1) }, "MaxWait", "between 0 and 00:01:00"),
            (new() { MaxWait = TimeSpan.FromMinutes(2) }, "MaxWait", "between 0 and 00:01:00"),
            (new() { QueueCapacity = 0 }, "QueueCapacity", "at least 1"),
        };
        foreach (var (options, name, range) in cases)
        {
            var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Model.CreateMicroBatchPredictionEngine<TextRow, LabelPrediction>(pipeline, options));
            Assert.AreEqual(name, error.ParamName);
            Assert.Contains(range, error.Message);
        }
        var convenience = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Model.CreateMicroBatchPredictionEngine<TextRow, LabelPrediction>(pipeline, queueCapacity: -1));
        Assert.AreEqual("QueueCapacity", convenience.ParamName);
    }

    public sealed class BodyRow
    {
        public string Body { get; set; } = "";
        public string Label { get; set; } = "";
    }

    [TestMethod]
    public void AnInputTypeWithoutTheModelsColumnFailsAtCreationNamingIt()
    {
        var (ml, pipeline, _) = FitPipeline();
        var error = Assert.Throws<Exception>(() => ml.Model.CreateMicroBatchPredictionEngine<BodyRow, LabelPrediction>(pipeline));
        Assert.Contains("'Text'", error.Message);
    }
}
