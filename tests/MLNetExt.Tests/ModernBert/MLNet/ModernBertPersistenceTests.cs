using System.IO.Compression;
using Microsoft.ML;
using MLNetExt.ScoringHost;
using MLNetExt.Tests.MLNet;

namespace MLNetExt.Tests.ModernBert.MLNet;

[TestClass]
public sealed class ModernBertPersistenceTests
{
    static readonly string[] Outputs = ["PredictedLabel", "Score", "PredictedText", "Scores"];

    /// <summary>ML.NET transforms before and after the ModernBERT classifier.</summary>
    static (MLContext Ml, ITransformer Model, IDataView Data) FitMixedPipeline()
    {
        var ml = new MLContext(seed: 1);
        var data = ToyData.Load(ml, 24);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.CopyColumns("Body", "Text"))
            .Append(ml.MulticlassClassification.Trainers.ModernBert(MLNetFixtures.Classifier(epochs: 2) with { Sentence1ColumnName = "Body" }))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedText", "PredictedLabel"))
            .Append(ml.Transforms.Concatenate("Scores", "Score", "Score"));
        return (ml, pipeline.Fit(data), data);
    }

    [TestMethod]
    public void SavedPipelineScoresIdenticallyInAFreshProcess()
    {
        var (ml, model, data) = FitMixedPipeline();
        using var dir = new PersistenceTests.TempDir();
        string zip = dir.File("model.zip"), input = dir.File("input.idv"), output = dir.File("scores.tsv");
        ml.Model.Save(model, data.Schema, zip);
        using (var stream = File.Create(input)) ml.Data.SaveAsBinary(ToyData.Load(ml, 15, seed: 9), stream);

        PersistenceTests.RunScoringHost(zip, input, output, "PredictedLabel", "Score", "PredictedText", "Scores");

        string expected = ScoreDump.ToText(model.Transform(ml.Data.LoadFromBinary(input)), Outputs);
        Assert.AreEqual(expected, File.ReadAllText(output));
    }

    [TestMethod]
    public void ZipHoldsConfigTokenizerWeightsAndLabels()
    {
        var (ml, model, data) = FitMixedPipeline();
        using var dir = new PersistenceTests.TempDir();
        ml.Model.Save(model, data.Schema, dir.File("model.zip"));
        using var zip = ZipFile.OpenRead(dir.File("model.zip"));
        var names = zip.Entries.Select(e => e.FullName.Replace('\\', '/')).ToArray();
        foreach (string stream in new[] { "Config.json", "Tokenizer.json", "Weights.safetensors", "Labels.json", "Settings.json" })
            Assert.IsTrue(names.Any(n => n.EndsWith("/Transform_002/" + stream)), $"{stream} missing: {string.Join(", ", names)}");
        using var config = new StreamReader(zip.Entries.Single(e => e.FullName.Replace('\\', '/').EndsWith("/Transform_002/Config.json")).Open());
        StringAssert.Contains(config.ReadToEnd(), "\"model_type\": \"modernbert\"");
    }

    [TestMethod]
    public void LoadedModelMatchesInProcessForEmbeddingsToo()
    {
        using var dir = new PersistenceTests.TempDir();
        var ml = new MLContext(seed: 1);
        var data = ToyData.Load(ml, 10);
        var model = ml.Transforms.Text.ModernBertEmbeddings(modelPath: MLNetFixtures.HuggingFaceFolder(dir.Root))
            .Append(ml.Transforms.NormalizeMinMax("Features")).Fit(data);
        ml.Model.Save(model, data.Schema, dir.File("embed.zip"));
        var loaded = new MLContext(seed: 2).Model.Load(dir.File("embed.zip"), out _);
        Assert.AreEqual(ScoreDump.ToText(model.Transform(data), "Features"), ScoreDump.ToText(loaded.Transform(data), "Features"));
    }
}
