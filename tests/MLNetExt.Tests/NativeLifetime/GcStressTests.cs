using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Blt;
using MLNetExt.Blt.MLNet;
using MLNetExt.ModernBert.MLNet;
using MLNetExt.Tests.Blt.MLNet;
using MLNetExt.Tests.MLNet;
using MLNetExt.Tests.ModernBert.MLNet;
using MLNetExt.Training.MLNet;

namespace MLNetExt.Tests.NativeLifetime;

/// <summary>
/// Scoring and training with a thread forcing garbage collections must neither throw nor change a single output:
/// the regression test for TorchSharp's finalizable temporaries (see src/Training/Scalars.cs).
/// </summary>
[TestClass]
public sealed class GcStressTests
{
    // Small batches: many model calls, so every per-batch native path runs hundreds of times.
    static readonly ScoringOptions SmallBatches = new(TokenBudget: 48, MaxRows: 4);

    [TestMethod]
    public void ModernBertClassifierScoresIdenticallyUnderGcStress()
    {
        var ml = new MLContext(seed: 1);
        var model = ml.MulticlassClassification.Trainers.ModernBert(MLNetFixtures.Classifier(epochs: 1) with { Scoring = SmallBatches })
            .Fit(ToyData.Load(ml, 24));
        AssertSameUnderStress(() => Scores(ml, model, "Score", 600));
    }

    [TestMethod]
    public void ModernBertEmbeddingsAreIdenticalUnderGcStress()
    {
        var ml = new MLContext(seed: 1);
        string dir = Directory.CreateTempSubdirectory("mlnetext-gc-").FullName;
        try
        {
            var embed = ml.Transforms.Text.ModernBertEmbeddings(new ModernBertEmbeddingsOptions
            {
                ModelPath = MLNetFixtures.HuggingFaceFolder(dir), MaxLength = 64, Scoring = SmallBatches,
            }).Fit(ToyData.Load(ml, 2));
            AssertSameUnderStress(() => Scores(ml, embed, "Features", 600));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    public void BltClassifierScoresIdenticallyUnderGcStress()
    {
        var ml = new MLContext(seed: 1);
        var model = ml.MulticlassClassification.Trainers.Blt(BltMLNetData.Classifier(epochs: 1) with { Scoring = SmallBatches })
            .Fit(ToyData.Load(ml, 24));
        AssertSameUnderStress(() => Scores(ml, model, "Score", 300));
    }

    [TestMethod]
    public void BltEmbeddingsAreIdenticalUnderGcStress()
    {
        var ml = new MLContext(seed: 1);
        var embed = ml.Transforms.Text.BltEmbeddings(new BltEmbeddingsOptions { Model = BltMLNetData.TinyModel(), Scoring = SmallBatches })
            .Fit(ToyData.Load(ml, 2));
        AssertSameUnderStress(() => Scores(ml, embed, "Features", 300));
    }

    [TestMethod]
    public void ModernBertTrainingIsIdenticalUnderGcStress()
    {
        var ml = new MLContext(seed: 1);
        var data = ToyData.Load(ml, 60);
        var options = MLNetFixtures.Classifier(epochs: 3) with { TokenBudget = 48, Model = ModernBertSource.FromScratch(MLNetFixtures.TinySource.Config!, maskedLmEpochs: 1) };
        AssertSameUnderStress(() => Scores(ml, ml.MulticlassClassification.Trainers.ModernBert(options).Fit(data), "Score", 30));
    }

    [TestMethod]
    public void BltTrainingIsIdenticalUnderGcStress()
    {
        var ml = new MLContext(seed: 1);
        var data = ToyData.Load(ml, 60);
        var options = BltMLNetData.Classifier(epochs: 2) with { Training = BltMLNetData.QuickTraining(2) with { BatchSize = 2 } };
        AssertSameUnderStress(() => Scores(ml, ml.MulticlassClassification.Trainers.Blt(options).Fit(data), "Score", 30));
    }

    static float[][] Scores(MLContext ml, ITransformer model, string column, int rows) =>
        model.Transform(ToyData.Load(ml, rows, seed: 5)).GetColumn<float[]>(column).ToArray();

    static void AssertSameUnderStress(Func<float[][]> run)
    {
        var quiet = run();
        var stressed = GcStress.Run(run);
        Assert.HasCount(quiet.Length, stressed);
        for (int i = 0; i < quiet.Length; i++) CollectionAssert.AreEqual(quiet[i], stressed[i], $"row {i} changed under GC stress");
    }
}
