using Microsoft.ML;
using MLNetExt.Blt.MLNet;
using MLNetExt.ModernBert.MLNet;
using MLNetExt.Training.MLNet;

namespace MLNetExt.Tests.MLNet;

/// <summary>
/// Every trainer of both models takes the same shared options and checks them when its catalog method is called,
/// naming the option, its value and the valid range: a bad setting never reaches Fit.
/// </summary>
[TestClass]
public sealed class TrainerOptionsTests
{
    static readonly TextTrainerOptions[] EveryTrainer =
    [
        new ModernBertTextClassificationOptions(), new ModernBertSentenceSimilarityOptions(), new ModernBertNamedEntityRecognitionOptions(),
        new BltTextClassificationOptions(), new BltBitsPerByteOptions(),
    ];

    /// <summary>The trainer's catalog method, as a user calls it.</summary>
    static object Catalog(MLContext ml, TextTrainerOptions options) => options switch
    {
        ModernBertTextClassificationOptions o => ml.MulticlassClassification.Trainers.ModernBert(o),
        ModernBertSentenceSimilarityOptions o => ml.Regression.Trainers.ModernBertSentenceSimilarity(o),
        ModernBertNamedEntityRecognitionOptions o => ml.MulticlassClassification.Trainers.ModernBertNamedEntityRecognition(o),
        BltTextClassificationOptions o => ml.MulticlassClassification.Trainers.Blt(o),
        BltBitsPerByteOptions o => ml.Transforms.Text.BltBitsPerByte(o),
        _ => throw new ArgumentException(options.GetType().Name),
    };

    static IEnumerable<object[]> SharedCases() =>
    [
        ["LearningRate is NaN; it must be a finite number > 0 and <= 1", (TextTrainerOptions o) => o with { LearningRate = double.NaN }],
        ["LearningRate is Infinity; it must be a finite number > 0 and <= 1", (TextTrainerOptions o) => o with { LearningRate = double.PositiveInfinity }],
        ["LearningRate is -1; it must be a finite number > 0 and <= 1", (TextTrainerOptions o) => o with { LearningRate = -1 }],
        ["LearningRate is 0; it must be a finite number > 0 and <= 1", (TextTrainerOptions o) => o with { LearningRate = 0 }],
        ["LearningRate is 1E+38; it must be a finite number > 0 and <= 1", (TextTrainerOptions o) => o with { LearningRate = 1e38 }],
        ["WeightDecay is NaN; it must be a finite number >= 0", (TextTrainerOptions o) => o with { WeightDecay = double.NaN }],
        ["WeightDecay is -0.1; it must be a finite number >= 0", (TextTrainerOptions o) => o with { WeightDecay = -0.1 }],
        ["WeightDecay: 2000 times LearningRate", (TextTrainerOptions o) => o with { WeightDecay = 2000, LearningRate = 1e-3 }],
        ["Epochs is 0; it must be at least 1", (TextTrainerOptions o) => o with { Epochs = 0 }],
        ["WarmupFraction is 1.5; it must be a finite number >= 0 and <= 1", (TextTrainerOptions o) => o with { WarmupFraction = 1.5 }],
        ["Schedule is 7; it must be one of Linear, Cosine, WarmupStableDecay", (TextTrainerOptions o) => o with { Schedule = (LearningRateSchedule)7 }],
        ["Devices: Unknown device 'gpu'", (TextTrainerOptions o) => o with { Devices = ["gpu"] }],
        ["EarlyStoppingPatience: 2 epochs, but there is no ValidationSet", (TextTrainerOptions o) => o with { EarlyStoppingPatience = 2 }],
        ["Resume: checkpoints need an OutputDirectory", (TextTrainerOptions o) => o with { Resume = true }],
        ["CheckpointEvery is -1; it must be at least 0", (TextTrainerOptions o) => o with { CheckpointEvery = -1 }],
        ["LogEvery is -5; it must be at least 0", (TextTrainerOptions o) => o with { LogEvery = -5 }],
    ];

    [TestMethod]
    [DynamicData(nameof(SharedCases))]
    public void EveryTrainerRefusesABadSharedOptionWhenBuilt(string message, Func<TextTrainerOptions, TextTrainerOptions> edit)
    {
        var ml = new MLContext(seed: 1);
        foreach (var options in EveryTrainer)
        {
            var bad = edit(options);
            var error = Assert.Throws<ArgumentException>(() => Catalog(ml, bad), options.GetType().Name);
            StringAssert.Contains(error.Message, $"{options.GetType().Name}.{message}");
        }
    }

    static IEnumerable<object[]> ModelCases() =>
    [
        [new BltTextClassificationOptions { BatchSize = 0 }, "BltTextClassificationOptions.BatchSize is 0; it must be at least 1"],
        [new BltBitsPerByteOptions { BatchSize = 0 }, "BltBitsPerByteOptions.BatchSize is 0; it must be at least 1"],
        [new BltTextClassificationOptions { MaxBytes = -1 }, "BltTextClassificationOptions.MaxBytes is -1; it must be at least 1"],
        [new BltBitsPerByteOptions { MaxBytes = 30000 }, "BltBitsPerByteOptions.MaxBytes is 30000; it must be at most 24574 (the model's 24576 byte positions, encoder_config.max_position_embeddings, less BOS and EOS)"],
        [new BltBitsPerByteOptions { SequenceLength = 1 }, "BltBitsPerByteOptions.SequenceLength is 1; it must be at least 2"],
        [new BltTextClassificationOptions { Sentence1ColumnName = " " }, "BltTextClassificationOptions.Sentence1ColumnName is ' '; it must be a non-empty name"],
        [new ModernBertTextClassificationOptions { MaxLength = 1 }, "ModernBertTextClassificationOptions.MaxLength is 1; it must be at least 2"],
        [new ModernBertSentenceSimilarityOptions { TokenBudget = 0 }, "ModernBertSentenceSimilarityOptions.TokenBudget is 0; it must be at least 1"],
        [new ModernBertNamedEntityRecognitionOptions { MaskedLmLearningRate = double.NaN }, "ModernBertNamedEntityRecognitionOptions.MaskedLmLearningRate is NaN"],
        [new ModernBertTextClassificationOptions { Pooling = "max" }, "ModernBertTextClassificationOptions.Pooling is 'max'; it must be \"cls\", \"mean\" or null"],
        [new ModernBertTextClassificationOptions { Scoring = new ScoringOptions(TokenBudget: 0) }, "TokenBudget"],
    ];

    [TestMethod]
    [DynamicData(nameof(ModelCases))]
    public void ModelOptionsAreCheckedWhenBuilt(TextTrainerOptions options, string message) =>
        StringAssert.Contains(Assert.Throws<ArgumentException>(() => Catalog(new MLContext(seed: 1), options)).Message, message);

    [TestMethod]
    public void TheDefaultsAreValidAndTheSameOnBothModels()
    {
        var ml = new MLContext(seed: 1);
        foreach (var options in EveryTrainer) Catalog(ml, options);
        var modernBert = new ModernBertTextClassificationOptions();
        var blt = new BltTextClassificationOptions();
        foreach (var (a, b) in new (object, object)[]
        {
            (modernBert.LabelColumnName, blt.LabelColumnName), (modernBert.ScoreColumnName, blt.ScoreColumnName),
            (modernBert.PredictedLabelColumnName, blt.PredictedLabelColumnName), (modernBert.Sentence1ColumnName, blt.Sentence1ColumnName),
            (modernBert.Epochs, blt.Epochs), (modernBert.WarmupFraction, blt.WarmupFraction), (modernBert.WeightDecay, blt.WeightDecay),
            (modernBert.Schedule, blt.Schedule), (modernBert.Resume, blt.Resume), (modernBert.Seed ?? -1, blt.Seed ?? -1),
        })
            Assert.AreEqual(a, b);
        Assert.AreEqual("Sentence1", blt.Sentence1ColumnName, "ML.NET's TextClassification default");
        Assert.IsFalse(blt.Resume);
        Assert.IsNull(blt.Seed, "null takes the MLContext's seed");
    }

    /// <summary>ML.NET's text trainers (Microsoft.ML.TorchSharp): a positional argument binds to the same column on ours.</summary>
    [TestMethod]
    public void CatalogColumnParametersFollowMLNetsTextTrainers()
    {
        string[] textClassification = ["labelColumnName", "scoreColumnName", "outputColumnName", "sentence1ColumnName"];
        AssertLeads(typeof(ModernBertCatalog), nameof(ModernBertCatalog.ModernBert), [.. textClassification, "sentence2ColumnName"]);
        AssertLeads(typeof(BltCatalog), nameof(BltCatalog.Blt), textClassification);
        AssertLeads(typeof(ModernBertCatalog), nameof(ModernBertCatalog.ModernBertSentenceSimilarity),
            ["labelColumnName", "scoreColumnName", "sentence1ColumnName", "sentence2ColumnName"]);
        AssertLeads(typeof(ModernBertCatalog), nameof(ModernBertCatalog.ModernBertNamedEntityRecognition),
            ["labelColumnName", "outputColumnName", "sentence1ColumnName"]);
        // After the columns, both shortcuts take the model to train, then the epochs.
        AssertFollow(typeof(ModernBertCatalog), nameof(ModernBertCatalog.ModernBert), ["model", "epochs", "validationSet"]);
        AssertFollow(typeof(BltCatalog), nameof(BltCatalog.Blt), ["model", "epochs", "validationSet"]);
    }

    static string[] Parameters(Type catalog, string method) => catalog.GetMethods()
        .Single(m => m.Name == method && m.GetParameters().Length > 2).GetParameters().Skip(1).Select(p => p.Name!).ToArray();

    static void AssertLeads(Type catalog, string method, string[] expected) =>
        CollectionAssert.AreEqual(expected, Parameters(catalog, method).Take(expected.Length).ToArray(), method);

    static void AssertFollow(Type catalog, string method, string[] expected) =>
        CollectionAssert.AreEqual(expected, Parameters(catalog, method)[^expected.Length..], method);
}
