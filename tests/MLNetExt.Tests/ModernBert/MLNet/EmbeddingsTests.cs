using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.ModernBert.MLNet;
using MLNetExt.Tests.MLNet;

namespace MLNetExt.Tests.ModernBert.MLNet;

[TestClass]
public sealed class EmbeddingsTests
{
    public sealed class Embedded
    {
        public float[] Features { get; set; } = [];
    }

    [TestMethod]
    public void IdenticalTextsEmbedAlikeWhateverTheirBatchNeighbours()
    {
        using var dir = new PersistenceTests.TempDir();
        var ml = new MLContext(seed: 1);
        var estimator = ml.Transforms.Text.ModernBertEmbeddings(modelPath: MLNetFixtures.HuggingFaceFolder(dir.Root));
        var rows = ToyData.Rows(30);
        var model = estimator.Fit(ml.Data.LoadFromEnumerable(rows));
        const string probe = "hello world";
        var mixed = rows.Select(r => r.Text).Prepend(probe).Append(probe).Concat(rows.Take(5).Select(r => r.Text)).Append(probe)
            .Select(t => new TextRow { Text = t }).ToArray();
        var vectors = ml.Data.CreateEnumerable<Embedded>(model.Transform(ml.Data.LoadFromEnumerable(mixed)), reuseRowObject: false).ToArray();
        var alone = ml.Data.CreateEnumerable<Embedded>(model.Transform(ml.Data.LoadFromEnumerable(new[] { new TextRow { Text = probe } })), reuseRowObject: false).Single();
        Assert.AreEqual(32, alone.Features.Length);
        // Neighbours change padding and matrix blocking, so equality is up to float rounding.
        foreach (int i in new[] { 0, rows.Length + 1, mixed.Length - 1 })
            for (int d = 0; d < alone.Features.Length; d++) Assert.AreEqual(alone.Features[d], vectors[i].Features[d], 1e-6, $"row {i} dim {d}");
        CollectionAssert.AreEqual(vectors[0].Features, vectors[rows.Length + 1].Features, "same text, same batch: bit-identical");
        Assert.AreEqual(1.0, Math.Sqrt(alone.Features.Sum(v => (double)v * v)), 1e-5, "normalised");
        CollectionAssert.AreNotEqual(alone.Features, vectors[1].Features);
    }

    [TestMethod]
    public void ClsAndMeanPoolingDifferAndUnnormalisedKeepsScale()
    {
        using var dir = new PersistenceTests.TempDir();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(ToyData.Rows(4));
        string folder = MLNetFixtures.HuggingFaceFolder(dir.Root);
        float[] First(ModernBertPooling pooling, bool normalize) =>
            ml.Data.CreateEnumerable<Embedded>(ml.Transforms.Text.ModernBertEmbeddings(modelPath: folder, pooling: pooling, normalize: normalize).Fit(data).Transform(data), false).First().Features;
        var cls = First(ModernBertPooling.Cls, false);
        var mean = First(ModernBertPooling.Mean, false);
        CollectionAssert.AreNotEqual(cls, mean);
        Assert.AreNotEqual(1.0, Math.Sqrt(mean.Sum(v => (double)v * v)), 1e-3);
    }

    [TestMethod]
    public void AFolderMissingAFileIsAnErrorNamingIt()
    {
        using var dir = new PersistenceTests.TempDir();
        var ml = new MLContext(seed: 1);
        string folder = MLNetFixtures.HuggingFaceFolder(dir.Root);
        File.Delete(Path.Combine(folder, "tokenizer.json"));
        var error = Assert.Throws<FileNotFoundException>(() => ml.Transforms.Text.ModernBertEmbeddings(modelPath: folder).Fit(ToyData.Load(ml, 2)));
        StringAssert.Contains(error.Message, "has no tokenizer.json");
    }

    [TestMethod]
    public void EmbeddingsOfAFineTunedModelAreItsEncoder()
    {
        var ml = new MLContext(seed: 1);
        var data = ToyData.Load(ml, 12);
        var classifier = ml.MulticlassClassification.Trainers.ModernBert(MLNetFixtures.Classifier(epochs: 1)).Fit(data);
        var embeddings = ml.Transforms.Text.ModernBertEmbeddings(classifier).Fit(data).Transform(data);
        Assert.AreEqual(32, embeddings.Schema["Features"].Type.GetVectorSize());
        Assert.AreEqual(12, ml.Data.CreateEnumerable<Embedded>(embeddings, false).Count());
    }

    [TestMethod]
    public void InactiveOutputColumnsCostNothing()
    {
        using var dir = new PersistenceTests.TempDir();
        var ml = new MLContext(seed: 1);
        var data = ToyData.Load(ml, 10);
        var model = ml.Transforms.Text.ModernBertEmbeddings(modelPath: MLNetFixtures.HuggingFaceFolder(dir.Root)).Fit(data);
        var scored = model.Transform(data);
        using (var cursor = scored.GetRowCursor(new[] { scored.Schema["Label"] }))
            while (cursor.MoveNext()) { }
        Assert.AreEqual(0, model.ModelCalls);
    }
}
