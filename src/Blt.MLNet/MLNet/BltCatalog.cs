using Microsoft.ML.Data;
using MLNetExt.Blt.MLNet;

// In ML.NET's namespace, as its own extension packages do, so `using Microsoft.ML;` finds the catalog methods.
namespace Microsoft.ML;

/// <summary>
/// BLT in ML.NET's catalogs. Text columns may be String (UTF-8 encoded; lone surrogates become U+FFFD) or
/// Vector&lt;Byte&gt; (raw bytes, any sequence). Every transformer scores in batches, lazily, and saves natively with
/// <c>mlContext.Model.Save</c>.
/// </summary>
public static class BltCatalog
{
    /// <summary>
    /// Patch lengths (Vector&lt;Int32&gt;, over BOS + the bytes) and next-byte entropies (Vector&lt;Single&gt; named
    /// <paramref name="entropiesColumnName"/>) from the entropy model of the BLT folder <paramref name="modelPath"/>.
    /// </summary>
    public static BltPatchesEstimator BltPatches(this TransformsCatalog.TextTransforms catalog, string outputColumnName, string inputColumnName,
        string modelPath, string entropiesColumnName = "Entropies") =>
        catalog.BltPatches(new BltPatchesOptions { OutputColumnName = outputColumnName, InputColumnName = inputColumnName, ModelPath = modelPath, EntropiesColumnName = entropiesColumnName });

    public static BltPatchesEstimator BltPatches(this TransformsCatalog.TextTransforms catalog, BltPatchesOptions options) =>
        new(CatalogUtils.GetEnvironment(catalog), options);

    /// <summary>Mean latent patch state (Vector&lt;Single&gt; of the latent width) of each row, from the BLT folder <paramref name="modelPath"/>.</summary>
    public static BltEmbeddingsEstimator BltEmbeddings(this TransformsCatalog.TextTransforms catalog, string outputColumnName, string inputColumnName, string modelPath) =>
        catalog.BltEmbeddings(new BltEmbeddingsOptions { OutputColumnName = outputColumnName, InputColumnName = inputColumnName, ModelPath = modelPath });

    public static BltEmbeddingsEstimator BltEmbeddings(this TransformsCatalog.TextTransforms catalog, BltEmbeddingsOptions options) =>
        new(CatalogUtils.GetEnvironment(catalog), options);

    /// <summary>
    /// A BLT text classifier: PredictedLabel (key) and Score (class probabilities). Fine-tunes the BLT folder
    /// <paramref name="modelPath"/>, or trains the tiny preset from scratch when it is null.
    /// </summary>
    public static BltClassifierTrainer Blt(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label", string sentence1ColumnName = "Sentence1", string scoreColumnName = "Score",
        string predictedLabelColumnName = "PredictedLabel", string? modelPath = null, int epochs = 3, int batchSize = 16) =>
        catalog.Blt(new BltClassifierOptions
        {
            LabelColumnName = labelColumnName, Sentence1ColumnName = sentence1ColumnName, ScoreColumnName = scoreColumnName,
            PredictedLabelColumnName = predictedLabelColumnName,
            Training = new BltTrainingOptions { ModelPath = modelPath, Epochs = epochs, BatchSize = batchSize },
        });

    public static BltClassifierTrainer Blt(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, BltClassifierOptions options) =>
        new(CatalogUtils.GetEnvironment(catalog), options);

    /// <summary>
    /// Bits per byte (Single) of each row under a BLT byte LM that Fit trains on the training rows (the tiny preset
    /// from scratch, or fine-tuning the BLT folder <paramref name="modelPath"/>): an anomaly / novelty score.
    /// </summary>
    public static BltBitsPerByteEstimator BltBitsPerByte(this TransformsCatalog.TextTransforms catalog, string outputColumnName = "BitsPerByte",
        string inputColumnName = "Text", string? modelPath = null, int epochs = 3) =>
        catalog.BltBitsPerByte(new BltBitsPerByteOptions
        {
            OutputColumnName = outputColumnName, InputColumnName = inputColumnName,
            Training = new BltTrainingOptions { ModelPath = modelPath, Epochs = epochs },
        });

    public static BltBitsPerByteEstimator BltBitsPerByte(this TransformsCatalog.TextTransforms catalog, BltBitsPerByteOptions options) =>
        new(CatalogUtils.GetEnvironment(catalog), options);
}
