using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Blt.MLNet;
using MLNetExt.Tests.MLNet;

namespace MLNetExt.Tests.Blt.MLNet;

/// <summary>A row scored in one batch with much longer or much shorter rows gives what it gives alone.</summary>
[TestClass]
public sealed class BltMixedLengthScoringTests
{
    static readonly string[] Mixed = ["short one", Words(700, seed: 1), "ok", Words(150, seed: 2)];

    static string Words(int bytes, int seed)
    {
        var rng = new Random(seed);
        return new string(Enumerable.Range(0, bytes).Select(_ => rng.Next(6) == 0 ? ' ' : (char)('a' + rng.Next(26))).ToArray());
    }

    [TestMethod]
    public void EmbeddingsOfAMixedBatchEqualEachRowAlone()
    {
        var ml = new MLContext(seed: 1);
        var estimator = ml.Transforms.Text.BltEmbeddings(new BltEmbeddingsOptions { Model = BltMLNetData.TinyModel() });
        var transformer = estimator.Fit(BltMLNetData.Texts(ml, Mixed));
        var together = Vectors(ml, transformer, Mixed);
        Assert.AreEqual(1L, transformer.ModelCalls, "the four rows fit one batch of the token budget");
        for (int i = 0; i < Mixed.Length; i++)
        {
            var alone = Vectors(ml, transformer, [Mixed[i]])[0];
            for (int d = 0; d < alone.Length; d++) Assert.AreEqual(alone[d], together[i][d], 1e-5f, $"row {i} ({Mixed[i].Length} bytes) dim {d}");
        }
    }

    [TestMethod]
    public void ClassifierScoresOfAMixedBatchEqualEachRowAlone()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(Mixed.Select((t, i) => new TextRow { Text = t, Label = i % 2 == 0 ? "a" : "b" }));
        var transformer = ml.MulticlassClassification.Trainers.Blt(BltMLNetData.Classifier(epochs: 1) with { MaxBytes = 1024 }).Fit(train);
        var together = Scores(ml, transformer, Mixed);
        for (int i = 0; i < Mixed.Length; i++)
        {
            var alone = Scores(ml, transformer, [Mixed[i]])[0];
            for (int c = 0; c < alone.Length; c++) Assert.AreEqual(alone[c], together[i][c], 1e-5f, $"row {i} class {c}");
        }
    }

    static float[][] Vectors(MLContext ml, ITransformer model, string[] texts) =>
        model.Transform(BltMLNetData.Texts(ml, texts)).GetColumn<float[]>("Features").ToArray();

    static float[][] Scores(MLContext ml, ITransformer model, string[] texts) =>
        model.Transform(BltMLNetData.Texts(ml, texts)).GetColumn<float[]>("Score").ToArray();
}
