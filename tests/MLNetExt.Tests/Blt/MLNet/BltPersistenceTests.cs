using Microsoft.ML;
using MLNetExt.Blt.MLNet;
using MLNetExt.ScoringHost;
using MLNetExt.Tests.Blt.Training;
using MLNetExt.Tests.MLNet;

namespace MLNetExt.Tests.Blt.MLNet;

[TestClass]
public sealed class BltPersistenceTests
{
    static readonly string[] Outputs = ["Patches", "Entropies", "Features", "BitsPerByte", "PredictedLabel", "Score", "PredictedText"];

    /// <summary>All four BLT transformers in one pipeline between ML.NET's own transforms.</summary>
    static (MLContext Ml, ITransformer Model, IDataView Data) FitPipeline()
    {
        TorchSharp.torch.set_num_threads(1);
        var ml = new MLContext(seed: 1);
        var data = ToyData.Load(ml, 24);
        var tiny = BltMLNetData.TinyModel();
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.Text.BltPatches(new BltPatchesOptions { Model = tiny }))
            .Append(ml.Transforms.Text.BltEmbeddings(new BltEmbeddingsOptions { Model = tiny }))
            .Append(ml.Transforms.Text.BltBitsPerByte(BltMLNetData.BitsPerByte(1) with { SequenceLength = 32 }))
            .Append(ml.MulticlassClassification.Trainers.Blt(BltMLNetData.Classifier(epochs: 1)))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedText", "PredictedLabel"));
        return (ml, pipeline.Fit(data), data);
    }

    [TestMethod]
    public void SavedPipelineScoresIdenticallyInAFreshProcessAndInThisOne()
    {
        var (ml, model, data) = FitPipeline();
        using var dir = new PersistenceTests.TempDir();
        string zip = dir.File("model.zip"), input = dir.File("input.idv"), output = dir.File("scores.tsv");
        ml.Model.Save(model, data.Schema, zip);
        var probe = ToyData.Rows(10, seed: 9).Concat(BltMLNetData.OddTexts.Select(t => new TextRow { Text = t, Label = "vowels" })).ToArray();
        using (var stream = File.Create(input)) ml.Data.SaveAsBinary(ml.Data.LoadFromEnumerable(probe), stream);
        string expected = ScoreDump.ToText(model.Transform(ml.Data.LoadFromBinary(input)), Outputs);

        var loaded = new MLContext(seed: 2).Model.Load(zip, out _);
        Assert.AreEqual(expected, ScoreDump.ToText(loaded.Transform(ml.Data.LoadFromBinary(input)), Outputs));

        PersistenceTests.RunScoringHost([zip, input, output, .. Outputs]);
        Assert.AreEqual(expected, File.ReadAllText(output));
    }
}
