using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Blt;
using MLNetExt.Blt.MLNet;
using MLNetExt.ModernBert.MLNet;
using MLNetExt.Training.Data;

namespace MLNetExt.Bench;

/// <summary>
/// SOAK: a long batch-scoring job per fitted transformer (ModernBERT classifier, ModernBertEmbeddings, BLT classifier,
/// BltEmbeddings), each fitted, saved, reloaded and then scoring --rows SpamAssassin emails (cycled) while another
/// thread forces garbage collections. Each runs in its own process, so a native crash is counted rather than ending
/// the benchmark. Prints every run's rows, exceptions and resident memory over the second half; last line
/// <c>SOAK: crashed-or-failed runs</c> (goal 0), with RSS growth over the second half (goal flat, under 5%) before it.
/// </summary>
public sealed class SoakBenchmark : IBenchmark
{
    static readonly string[] Kinds = ["ModernBertClassifier", "ModernBertEmbeddings", "BltClassifier", "BltEmbeddings"];

    public string Id => "SOAK";
    public string Description => "failed runs of 4 long scoring jobs under forced GCs (goal 0), RSS growth over each run's second half";

    sealed class Email
    {
        public string Text { get; set; } = "";
        public string Label { get; set; } = "";
    }

    public void Run(string[] args)
    {
        int worker = Array.IndexOf(args, "--worker");
        if (worker >= 0)
        {
            RunWorker(args[worker + 1], BenchUtil.Option(args, "rows", 50_000));
            return;
        }
        int failed = 0;
        double worstGrowth = 0;
        foreach (string kind in Kinds)
        {
            var (exitCode, summary) = RunChild(kind, args);
            if (exitCode != 0 || summary is null)
            {
                failed++;
                Console.WriteLine($"{kind}: FAILED (exit code {exitCode}{(summary is null ? ", no summary line" : "")})");
                continue;
            }
            Console.WriteLine($"{kind}: {summary.Line}");
            if (summary.Exceptions > 0) failed++;
            worstGrowth = Math.Max(worstGrowth, summary.Growth);
        }
        Console.WriteLine($"worst RSS growth over a run's second half: {worstGrowth:P1} (goal < 5%)");
        Console.WriteLine($"{Id}: {failed}");
    }

    sealed record Summary(string Line, int Exceptions, double Growth);

    /// <summary>Runs one kind in a child process (this benchmark with --worker), echoing its output.</summary>
    static (int ExitCode, Summary? Summary) RunChild(string kind, string[] args)
    {
        string self = typeof(SoakBenchmark).Assembly.Location;
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") start.ArgumentList.Add(self);
        foreach (string a in (string[])["SOAK", "--worker", kind, .. args]) start.ArgumentList.Add(a);
        using var child = Process.Start(start)!;
        child.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"  [{kind}] {e.Data}"); };
        child.BeginErrorReadLine();
        Summary? summary = null;
        while (child.StandardOutput.ReadLine() is string line)
        {
            Console.WriteLine($"  [{kind}] {line}");
            if (line.StartsWith("summary:", StringComparison.Ordinal))
            {
                var fields = line["summary:".Length..].Split(',', StringSplitOptions.TrimEntries).Select(f => f.Split('=')).ToDictionary(f => f[0], f => f[1]);
                summary = new Summary(line["summary:".Length..].Trim(), int.Parse(fields["exceptions"]), double.Parse(fields["growth"], System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        child.WaitForExit();
        return (child.ExitCode, summary);
    }

    static void RunWorker(string kind, int rows)
    {
        TorchSharp.torch.set_num_threads(Math.Max(1, Environment.ProcessorCount));
        var ml = new MLContext(seed: 1);
        var emails = SpamAssassin.Load();
        var train = ml.Data.LoadFromEnumerable(emails.Where((_, i) => i % 20 == 0).Select(e => new Email { Text = e.Text, Label = e.Label }).ToList());
        var (model, column) = Fit(ml, kind, train);

        // Score what a batch job would: the model as saved and loaded again.
        string zip = Path.Combine(Path.GetTempPath(), $"soak-{kind}-{Environment.ProcessId}.zip");
        ml.Model.Save(model, train.Schema, zip);
        var loaded = ml.Model.Load(zip, out _);
        File.Delete(zip);

        var data = ml.Data.LoadFromEnumerable(Cycle(emails, rows));
        var scored = loaded.Transform(data);
        var output = scored.Schema[column];
        using var stop = new CancellationTokenSource();
        long collections = 0;
        var collector = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                collections++;
                Thread.Sleep(5);
            }
        }) { IsBackground = true };
        collector.Start();

        var clock = Stopwatch.StartNew();
        var rss = new List<(long Row, double Mb)>();
        int exceptions = 0;
        long done = 0;
        try
        {
            using var cursor = scored.GetRowCursor([output]);
            var read = Getter(cursor, output);
            while (cursor.MoveNext())
            {
                read();
                if (++done % 1000 == 0)
                {
                    rss.Add((done, Environment.WorkingSet / 1048576.0));
                    if (done % 10_000 == 0) Console.WriteLine($"{done} rows, {done / clock.Elapsed.TotalSeconds:F0} rows/s, RSS {rss[^1].Mb:F0} MB, {collections} forced GCs");
                }
            }
        }
        catch (Exception e)
        {
            exceptions++;
            Console.WriteLine($"exception after {done} rows: {e.GetType().Name}: {e.Message}");
        }
        stop.Cancel();
        collector.Join();
        var half = rss.Skip(rss.Count / 2).ToList();
        double growth = half.Count < 2 ? 0 : (half[^1].Mb - half[0].Mb) / half[0].Mb;
        double peak = rss.Count == 0 ? 0 : rss.Max(r => r.Mb);
        Console.WriteLine(FormattableString.Invariant(
            $"summary: rows={done}, exceptions={exceptions}, seconds={clock.Elapsed.TotalSeconds:F0}, rss_mid_mb={(half.Count > 0 ? half[0].Mb : 0):F0}, rss_end_mb={(rss.Count > 0 ? rss[^1].Mb : 0):F0}, rss_peak_mb={peak:F0}, growth={growth:F4}, forced_gcs={collections}"));
    }

    /// <summary>Fits the kind's transformer on a small labelled sample: the soak is about scoring, not accuracy.</summary>
    static (ITransformer Model, string Column) Fit(MLContext ml, string kind, IDataView train)
    {
        switch (kind)
        {
            case "ModernBertClassifier":
                return (ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.ModernBert(new ModernBertTextClassificationOptions
                {
                    Model = ModernBertSource.FromScratch(ModernBertSize.Tiny, maskedLmEpochs: 0), MaxLength = 128, Epochs = 1, Seed = 1,
                })).Fit(train), "Score");
            case "ModernBertEmbeddings":
                var classifier = ml.MulticlassClassification.Trainers.ModernBert(new ModernBertTextClassificationOptions
                {
                    Model = ModernBertSource.FromScratch(ModernBertSize.Tiny, maskedLmEpochs: 0), MaxLength = 128, Epochs = 1, Seed = 1,
                }).Fit(ml.Transforms.Conversion.MapValueToKey("Label").Fit(train).Transform(train));
                return (ml.Transforms.Text.ModernBertEmbeddings(classifier).Fit(train), "Features");
            case "BltClassifier":
                return (ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.Blt(new BltClassifierOptions
                {
                    Sentence1ColumnName = "Text", MaxBytes = 512, Training = new BltTrainingOptions { Epochs = 1, Seed = 1 },
                })).Fit(train), "Score");
            case "BltEmbeddings":
                TorchSharp.torch.manual_seed(1);
                return (ml.Transforms.Text.BltEmbeddings(new BltEmbeddingsOptions { Model = new BltModel(BltPresets.Config(BltPreset.Tiny)), MaxBytes = 512 }).Fit(train), "Features");
            default:
                throw new ArgumentException($"unknown soak kind '{kind}'; known: {string.Join(", ", Kinds)}");
        }
    }

    static IEnumerable<Email> Cycle(IReadOnlyList<SpamEmail> emails, int rows)
    {
        for (int i = 0; i < rows; i++) yield return new Email { Text = emails[i % emails.Count].Text, Label = emails[i % emails.Count].Label };
    }

    static Action Getter(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        if (column.Type is VectorDataViewType)
        {
            var get = cursor.GetGetter<VBuffer<float>>(column);
            VBuffer<float> value = default;
            return () => get(ref value);
        }
        var scalar = cursor.GetGetter<float>(column);
        float one = 0;
        return () => scalar(ref one);
    }
}
