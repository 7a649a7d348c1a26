using Microsoft.ML.Data;
using MLNetExt.Blt.MLNet;

// In ML.NET's namespace, as its own extension packages do, so `using Microsoft.ML;` finds the catalog methods.
namespace Microsoft.ML;

/// <summary>
/// BLT in ML.NET's catalogs. Text columns may be String (UTF-8 encoded; lone surrogates become U+FFFD) or
/// Vector&lt;Byte&gt; (raw bytes, any sequence). Trainers take the options every MLNetExt trainer shares
/// (<see cref="MLNetExt.Training.MLNet.TextTrainerOptions"/>, checked when the method is called). Every transformer
/// scores in batches, lazily, and saves natively with <c>mlContext.Model.Save</c>.
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
    /// A BLT text classifier: PredictedLabel (Key) and Score (class probabilities). Column parameters are named and
    /// ordered as ML.NET's <c>TextClassification</c> (BLT reads one text; there is no second sentence).
    /// </summary>
    /// <param name="model">The model: <see cref="BltSource.Pretrained"/> (a BLT folder) or <see cref="BltSource.FromScratch(BltSize)"/>; null: Small from scratch.</param>
    /// <param name="validationSet">Scored after every epoch (validation loss in the log).</param>
    public static BltTextClassificationTrainer Blt(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label", string scoreColumnName = "Score", string outputColumnName = "PredictedLabel",
        string sentence1ColumnName = "Sentence1", BltSource? model = null, int epochs = 3, IDataView? validationSet = null) =>
        catalog.Blt(new BltTextClassificationOptions
        {
            LabelColumnName = labelColumnName, ScoreColumnName = scoreColumnName, PredictedLabelColumnName = outputColumnName,
            Sentence1ColumnName = sentence1ColumnName, Model = model ?? BltSource.FromScratch(), Epochs = epochs, ValidationSet = validationSet,
        });

    public static BltTextClassificationTrainer Blt(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, BltTextClassificationOptions options) =>
        new(CatalogUtils.GetEnvironment(catalog), options);

    /// <summary>
    /// Bits per byte (Single) of each row under a BLT byte LM that Fit trains on the training rows: an anomaly /
    /// novelty score.
    /// </summary>
    /// <param name="model">The model: a BLT folder to fine-tune or a shape from scratch; null: Small from scratch.</param>
    public static BltBitsPerByteEstimator BltBitsPerByte(this TransformsCatalog.TextTransforms catalog, string outputColumnName = "BitsPerByte",
        string inputColumnName = "Text", BltSource? model = null, int epochs = 3) =>
        catalog.BltBitsPerByte(new BltBitsPerByteOptions
        {
            OutputColumnName = outputColumnName, InputColumnName = inputColumnName, Model = model ?? BltSource.FromScratch(), Epochs = epochs,
        });

    public static BltBitsPerByteEstimator BltBitsPerByte(this TransformsCatalog.TextTransforms catalog, BltBitsPerByteOptions options) =>
        new(CatalogUtils.GetEnvironment(catalog), options);
}
