using System.Diagnostics;
using System.IO.Compression;
using Microsoft.ML;
using MLNetExt.ScoringHost;
using MLNetExt.Tests.MLNet.Toy;

namespace MLNetExt.Tests.MLNet;

[TestClass]
public sealed class PersistenceTests
{
    static readonly string[] Outputs = ["PredictedLabel", "Score", "PredictedText", "Scores"];

    /// <summary>ML.NET transforms on both sides of ours: text copy in, key mapping of labels, key-to-value and concatenation out.</summary>
    static (MLContext Ml, ITransformer Model, IDataView Data) FitMixedPipeline()
    {
        var ml = new MLContext(seed: 1);
        var data = ToyData.Load(ml, 45);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.CopyColumns("Body", "Text"))
            .Append(new ToyClassifierEstimator(ml, new ToyClassifierOptions { TextColumnName = "Body", Epochs = 10 }))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedText", "PredictedLabel"))
            .Append(ml.Transforms.Concatenate("Scores", "Score", "Score"));
        return (ml, pipeline.Fit(data), data);
    }

    [TestMethod]
    public void SavedPipelineScoresIdenticallyInAFreshProcess()
    {
        var (ml, model, data) = FitMixedPipeline();
        using var dir = new TempDir();
        string zip = dir.File("model.zip"), input = dir.File("input.idv"), output = dir.File("scores.tsv");
        ml.Model.Save(model, data.Schema, zip);
        using (var stream = File.Create(input)) ml.Data.SaveAsBinary(ToyData.Load(ml, 30, seed: 9), stream);

        RunScoringHost(zip, input, output);

        string expected = ScoreDump.ToText(model.Transform(ml.Data.LoadFromBinary(input)), Outputs);
        Assert.AreEqual(expected, File.ReadAllText(output));
    }

    [TestMethod]
    public void SavedZipHoldsWeightsAndJsonAsData()
    {
        var (ml, model, data) = FitMixedPipeline();
        using var dir = new TempDir();
        ml.Model.Save(model, data.Schema, dir.File("model.zip"));
        using var zip = ZipFile.OpenRead(dir.File("model.zip"));
        var names = zip.Entries.Select(e => e.FullName.Replace('\\', '/')).ToArray();
        foreach (string stream in new[] { "Config.json", "Columns.json", "Labels.json", "Weights.safetensors" })
            Assert.IsTrue(names.Any(n => n.EndsWith("/Transform_2/" + stream)), $"{stream} missing: {string.Join(", ", names)}");
        using var labels = new StreamReader(zip.Entries.Single(e => e.FullName.Replace('\\', '/').EndsWith("/Labels.json")).Open());
        StringAssert.Contains(labels.ReadToEnd(), "\"vowels\"");
    }

    [TestMethod]
    public void LoadedPipelineMatchesInProcessAndPredictionEngine()
    {
        var (ml, model, data) = FitMixedPipeline();
        using var dir = new TempDir();
        ml.Model.Save(model, data.Schema, dir.File("model.zip"));
        var loaded = new MLContext(seed: 2).Model.Load(dir.File("model.zip"), out var schema);
        Assert.AreEqual(data.Schema.Count, schema.Count);
        Assert.AreEqual(ScoreDump.ToText(model.Transform(data), Outputs), ScoreDump.ToText(loaded.Transform(data), Outputs));

        var engine = ml.Model.CreatePredictionEngine<TextRow, Prediction>(loaded);
        var row = ToyData.Rows(1)[0];
        var batch = ScoreDump.ToText(loaded.Transform(ml.Data.LoadFromEnumerable(new[] { row })), "Score").Trim();
        var single = ScoreDump.ToText(ml.Data.LoadFromEnumerable(new[] { engine.Predict(row) }), "Score").Trim();
        Assert.AreEqual(batch, single);
    }

    [TestMethod]
    public void MissingWeightsStreamIsAClearError()
    {
        var (ml, model, data) = FitMixedPipeline();
        using var dir = new TempDir();
        ml.Model.Save(model, data.Schema, dir.File("model.zip"));
        using (var zip = ZipFile.Open(dir.File("model.zip"), ZipArchiveMode.Update))
            zip.Entries.Single(e => e.FullName.Replace('\\', '/').EndsWith("/Weights.safetensors")).Delete();
        var error = Assert.Throws<Exception>(() => ml.Model.Load(dir.File("model.zip"), out _));
        var messages = string.Join(" | ", Chain(error).Select(e => e.Message));
        StringAssert.Contains(messages, "Stream 'Weights.safetensors' is missing");
    }

    static IEnumerable<Exception> Chain(Exception? e)
    {
        for (; e is not null; e = e.InnerException) yield return e;
    }

    /// <summary>
    /// Runs MLNetExt.ScoringHost in a new process with this test assembly's runtimeconfig and deps: the host itself
    /// references no model, so ML.NET must find the toy loader from the assembly name saved in the zip.
    /// </summary>
    internal static void RunScoringHost(params string[] args)
    {
        string bin = AppContext.BaseDirectory;
        string app = Path.GetFileNameWithoutExtension(typeof(PersistenceTests).Assembly.Location);
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        foreach (string arg in new[] { "exec", "--runtimeconfig", Path.Combine(bin, app + ".runtimeconfig.json"),
                     "--depsfile", Path.Combine(bin, app + ".deps.json"), Path.Combine(bin, "MLNetExt.ScoringHost.dll") }.Concat(args))
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        Assert.IsTrue(process.WaitForExit(120_000), "scoring host timed out");
        Assert.AreEqual(0, process.ExitCode, $"scoring host failed:\n{stdout.Result}\n{stderr.Result}");
    }

    internal sealed class TempDir : IDisposable
    {
        readonly string _path = Directory.CreateTempSubdirectory("mlnetext-").FullName;
        public string Root => _path;
        public string File(string name) => Path.Combine(_path, name);
        public void Dispose() => Directory.Delete(_path, recursive: true);
    }
}
