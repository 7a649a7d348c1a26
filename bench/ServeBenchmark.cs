using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Blt.MLNet;
using MLNetExt.ModernBert.MLNet;
using MLNetExt.Training.MLNet;
using static MLNetExt.Bench.SyntheticEmails;

namespace MLNetExt.Bench;

/// <summary>
/// SERVE: a service scoring single emails from many threads (16 by default). Rows/s of one shared
/// <see cref="MicroBatchPredictionEngine{TSrc, TDst}"/> over rows/s of one ML.NET PredictionEngine per thread (the
/// thread-safe way without batching), same fitted pipeline (MapValueToKey → classifier → MapKeyToValue), same
/// emails, the two alternated run by run after a warm-up; medians. Every micro-batched result is checked against
/// the same row's single-row result (max score difference, labels). The ratio is ModernBERT Small's; a BLT Tiny
/// classifier's line comes before it.
/// </summary>
public sealed class ServeBenchmark : IBenchmark
{
    public string Id => "SERVE";
    public string Description => "16 threads of single-row predictions: rows/s of one micro-batching engine / one PredictionEngine per thread (ModernBERT Small; BLT Tiny line)";

    public sealed class Verdict
    {
        public string PredictedLabel { get; set; } = "";
        public float[] Score { get; set; } = [];
    }

    public void Run(string[] args)
    {
        int threads = BenchUtil.Option(args, "threads", 16), rows = BenchUtil.Option(args, "rows", 192), runs = BenchUtil.Option(args, "runs", 6);
        var serving = new MicroBatchPredictionEngineOptions
        {
            MaxBatchRows = BenchUtil.Option(args, "batch", 64),
            MaxWait = TimeSpan.FromMilliseconds(BenchUtil.Option(args, "wait-ms", 2)),
        };
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(Generate(BenchUtil.Option(args, "train", 64), seed: 1));
        var emails = Generate(rows, seed: 2);
        Console.WriteLine($"{threads} threads, {rows} emails ({emails.Average(e => e.Text.Length):F0} characters on average), " +
            $"batches of up to {serving.MaxBatchRows} rows, max wait {serving.MaxWait.TotalMilliseconds} ms, torch threads {TorchSharp.torch.get_num_threads()}");

        if (BenchUtil.Option(args, "blt", 1) == 1) MeasureBlt(ml, train, emails, threads, runs, serving);
        var modernBert = Fit(ml, train, ml.MulticlassClassification.Trainers.ModernBert(new ModernBertTextClassificationOptions
        {
            LabelColumnName = "Label", Sentence1ColumnName = "Text", MaxLength = 256, Epochs = 1, LearningRate = 1e-3, Seed = 1,
            Model = ModernBertSource.FromScratch(ModernBertSize.Small, maskedLmEpochs: 0),
        }));
        double ratio = Measure("ModernBERT Small", ml, modernBert, () => modernBert.OfType<ModernBertSequenceTransformer>().Single().ModelCalls,
            emails, threads, runs, serving);
        Console.WriteLine($"{Id}: {ratio:F3}");
    }

    /// <summary>The BLT line: a Tiny classifier trained from scratch on the same emails.</summary>
    static void MeasureBlt(MLContext ml, IDataView train, Email[] emails, int threads, int runs, MicroBatchPredictionEngineOptions serving)
    {
        var blt = Fit(ml, train, ml.MulticlassClassification.Trainers.Blt(new BltClassifierOptions
        {
            LabelColumnName = "Label", Sentence1ColumnName = "Text", MaxBytes = 1024,
            Training = new BltTrainingOptions { Preset = BltPreset.Tiny, Epochs = 1, Seed = 1 },
        }));
        Measure("BLT Tiny", ml, blt, () => blt.OfType<BltClassifierTransformer>().Single().ModelCalls, emails, threads, runs, serving);
    }

    static TransformerChain<ITransformer> Fit<TTrainer>(MLContext ml, IDataView train, IEstimator<TTrainer> trainer) where TTrainer : class, ITransformer
    {
        var clock = Stopwatch.StartNew();
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(trainer)
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
            .Fit(train);
        Console.WriteLine($"fitted {typeof(TTrainer).Name} in {clock.Elapsed.TotalSeconds:F1} s");
        return new TransformerChain<ITransformer>(pipeline.ToArray());
    }

    static double Measure(string name, MLContext ml, ITransformer pipeline, Func<long> modelCalls, Email[] emails, int threads, int runs,
        MicroBatchPredictionEngineOptions serving)
    {
        // A service keeps one engine per thread (PredictionEngine) or one for all (ours); neither is built per request.
        var perThread = Enumerable.Range(0, threads).Select(_ => ml.Model.CreatePredictionEngine<Email, Verdict>(pipeline)).ToArray();
        using var shared = ml.Model.CreateMicroBatchPredictionEngine<Email, Verdict>(pipeline, serving);
        Hammer(emails[..(2 * threads)], threads, (t, e) => perThread[t].Predict(e));
        Hammer(emails[..(2 * threads)], threads, (_, e) => shared.Predict(e));

        BatchingAlone(name, ml, pipeline, perThread[0], emails);

        // Short rounds, the two sides alternated (and which goes first too), so the shared machine's load swings hit both.
        var single = new Side();
        var batched = new Side();
        long calls = 0;
        for (int run = 0; run < runs; run++)
        {
            if (run % 2 == 0) single.Add(Hammer(emails, threads, (t, e) => perThread[t].Predict(e)), emails.Length);
            long before = modelCalls();
            batched.Add(Hammer(emails, threads, (_, e) => shared.Predict(e)), emails.Length);
            calls += modelCalls() - before;
            if (run % 2 == 1) single.Add(Hammer(emails, threads, (t, e) => perThread[t].Predict(e)), emails.Length);
        }

        double maxDifference = 0;
        int sameLabels = 0;
        for (int i = 0; i < emails.Length; i++)
        {
            for (int c = 0; c < single.Results[i].Score.Length; c++)
                maxDifference = Math.Max(maxDifference, Math.Abs(single.Results[i].Score[c] - batched.Results[i].Score[c]));
            if (single.Results[i].PredictedLabel == batched.Results[i].PredictedLabel) sameLabels++;
        }
        double ratio = Median(batched.RowsPerSecond) / Median(single.RowsPerSecond);
        Console.WriteLine($"{name}: micro-batched {batched}, {emails.Length * runs / (double)calls:F1} rows per model call");
        Console.WriteLine($"{name}: one PredictionEngine per thread {single}");
        Console.WriteLine($"{name}: max |score - single-row score| {maxDifference:E2} (documented tolerance 1e-5), predicted labels equal {sameLabels}/{emails.Length}");
        Console.WriteLine($"{name}: ratio {ratio:F3} (rows/s), {Median(batched.RowsPerCpuSecond) / Median(single.RowsPerCpuSecond):F3} (rows per CPU second)");
        return ratio;
    }

    /// <summary>
    /// What batching alone gains, one thread, no serving: Transform over all the emails (the model's own batches) against
    /// a PredictionEngine row by row. The engine's ratio cannot pass this by much.
    /// </summary>
    static void BatchingAlone(string name, MLContext ml, ITransformer pipeline, PredictionEngine<Email, Verdict> engine, Email[] emails)
    {
        var data = ml.Data.LoadFromEnumerable(emails);
        var (transform, rowByRow) = (new List<double>(), new List<double>());
        for (int run = 0; run < 3; run++)
        {
            var clock = Stopwatch.StartNew();
            foreach (var _ in ml.Data.CreateEnumerable<Verdict>(pipeline.Transform(data), reuseRowObject: true)) { }
            transform.Add(emails.Length / clock.Elapsed.TotalSeconds);
            clock.Restart();
            foreach (var email in emails) engine.Predict(email);
            rowByRow.Add(emails.Length / clock.Elapsed.TotalSeconds);
        }
        Console.WriteLine($"{name}: one thread, Transform {Median(transform):F1} rows/s, PredictionEngine {Median(rowByRow):F1} rows/s: " +
            $"batching alone x{Median(transform) / Median(rowByRow):F2}");
    }

    /// <summary>One side's rounds: wall rows/s, rows per CPU second of this process (steadier under others' load), last results.</summary>
    sealed class Side
    {
        public List<double> RowsPerSecond { get; } = [];
        public List<double> RowsPerCpuSecond { get; } = [];
        public Verdict[] Results { get; private set; } = [];

        public void Add((double Seconds, double CpuSeconds, Verdict[] Results) round, int rows)
        {
            RowsPerSecond.Add(rows / round.Seconds);
            RowsPerCpuSecond.Add(rows / round.CpuSeconds);
            Results = round.Results;
        }

        public override string ToString() =>
            $"{Median(RowsPerSecond):F1} rows/s ({string.Join(" / ", RowsPerSecond.Select(r => r.ToString("F1")))}), {Median(RowsPerCpuSecond):F1} rows per CPU second";
    }

    /// <summary>Thread t predicts rows t, t + threads, ...; returns the wall and CPU seconds and each row's result.</summary>
    static (double Seconds, double CpuSeconds, Verdict[] Results) Hammer(Email[] emails, int threads, Func<int, Email, Verdict> predict)
    {
        var results = new Verdict[emails.Length];
        using var start = new Barrier(threads + 1);
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            for (int i = t; i < emails.Length; i += threads) results[i] = predict(t, emails[i]);
        })).ToList();
        workers.ForEach(w => w.Start());
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        start.SignalAndWait();
        var clock = Stopwatch.StartNew();
        workers.ForEach(w => w.Join());
        double seconds = clock.Elapsed.TotalSeconds;
        process.Refresh();
        return (seconds, (process.TotalProcessorTime - cpu).TotalSeconds, results);
    }

    static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        int middle = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
