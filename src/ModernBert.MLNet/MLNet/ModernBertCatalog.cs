using Microsoft.ML.Data;
using MLNetExt.ModernBert.MLNet;

// ML.NET's own extension packages put their catalog methods in Microsoft.ML, so `using Microsoft.ML;` is all a user needs.
namespace Microsoft.ML;

/// <summary>
/// ModernBERT on ML.NET's catalogs. Trainers fine-tune through MLNetExt's training engine (CPU or GPUs) with the
/// options every MLNetExt trainer shares (<see cref="MLNetExt.Training.MLNet.TextTrainerOptions"/>, checked when the
/// method is called); fitted models score lazily in token-budgeted packed batches and save with
/// <c>mlContext.Model.Save</c>. Options types live in <c>MLNetExt.ModernBert.MLNet</c>.
/// </summary>
public static class ModernBertCatalog
{
    /// <summary>
    /// Text (String) to a Vector&lt;Single&gt; with a ModernBERT encoder from a Hugging Face folder.
    /// </summary>
    /// <param name="modelPath">Folder with config.json, model.safetensors and tokenizer.json.</param>
    public static ModernBertEmbeddingsEstimator ModernBertEmbeddings(this TransformsCatalog.TextTransforms catalog,
        string outputColumnName = "Features", string inputColumnName = "Text", string? modelPath = null,
        ModernBertPooling pooling = ModernBertPooling.Mean, bool normalize = true, int maxLength = 512) =>
        new(CatalogUtils.GetEnvironment(catalog), new ModernBertEmbeddingsOptions
        {
            OutputColumnName = outputColumnName, InputColumnName = inputColumnName, ModelPath = modelPath,
            Pooling = pooling, Normalize = normalize, MaxLength = maxLength,
        });

    /// <summary>Text to a vector with the encoder of a fine-tuned ModernBERT classifier or similarity model.</summary>
    public static ModernBertEmbeddingsEstimator ModernBertEmbeddings(this TransformsCatalog.TextTransforms catalog,
        ModernBertSequenceTransformer trainedModel, string outputColumnName = "Features", string inputColumnName = "Text",
        ModernBertPooling pooling = ModernBertPooling.Mean, bool normalize = true) =>
        new(CatalogUtils.GetEnvironment(catalog), new ModernBertEmbeddingsOptions
        {
            OutputColumnName = outputColumnName, InputColumnName = inputColumnName, Pooling = pooling, Normalize = normalize,
            MaxLength = trainedModel.Encoder.MaxLength,
        }, trainedModel);

    public static ModernBertEmbeddingsEstimator ModernBertEmbeddings(this TransformsCatalog.TextTransforms catalog, ModernBertEmbeddingsOptions options) =>
        new(CatalogUtils.GetEnvironment(catalog), options);

    /// <summary>
    /// Fine-tunes ModernBERT to classify a text or text pair (two or more classes). Label: Key or String.
    /// Outputs PredictedLabel (Key) and Score (class probabilities). Column parameters are named and ordered as
    /// ML.NET's <c>TextClassification</c>.
    /// </summary>
    /// <param name="model">The encoder: <see cref="ModernBertSource.Pretrained"/> (a Hugging Face folder) or <see cref="ModernBertSource.FromScratch(ModernBertSize, int)"/>; null: Small from scratch with one masked-LM warm-up epoch.</param>
    /// <param name="validationSet">Scored after every epoch (validation loss in the log).</param>
    public static ModernBertTextClassificationTrainer ModernBert(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label", string scoreColumnName = "Score", string outputColumnName = "PredictedLabel",
        string sentence1ColumnName = "Sentence1", string? sentence2ColumnName = null,
        ModernBertSource? model = null, int epochs = 3, IDataView? validationSet = null) =>
        new(CatalogUtils.GetEnvironment(catalog), new ModernBertTextClassificationOptions
        {
            LabelColumnName = labelColumnName, ScoreColumnName = scoreColumnName, PredictedLabelColumnName = outputColumnName,
            Sentence1ColumnName = sentence1ColumnName, Sentence2ColumnName = sentence2ColumnName,
            Model = model ?? ModernBertSource.FromScratch(), Epochs = epochs, ValidationSet = validationSet,
        });

    public static ModernBertTextClassificationTrainer ModernBert(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        ModernBertTextClassificationOptions options) => new(CatalogUtils.GetEnvironment(catalog), options);

    /// <summary>
    /// Fine-tunes ModernBERT to score the similarity of two texts. Label: Single. Output: Score (Single). Column
    /// parameters are named and ordered as ML.NET's <c>SentenceSimilarity</c>.
    /// </summary>
    /// <param name="model">The encoder; null: Small from scratch with one masked-LM warm-up epoch.</param>
    public static ModernBertSentenceSimilarityTrainer ModernBertSentenceSimilarity(this RegressionCatalog.RegressionTrainers catalog,
        string labelColumnName = "Label", string scoreColumnName = "Score", string sentence1ColumnName = "Sentence1", string sentence2ColumnName = "Sentence2",
        ModernBertSource? model = null, int epochs = 3, IDataView? validationSet = null) =>
        new(CatalogUtils.GetEnvironment(catalog), new ModernBertSentenceSimilarityOptions
        {
            LabelColumnName = labelColumnName, ScoreColumnName = scoreColumnName, Sentence1ColumnName = sentence1ColumnName,
            Sentence2ColumnName = sentence2ColumnName, Model = model ?? ModernBertSource.FromScratch(), Epochs = epochs, ValidationSet = validationSet,
        });

    public static ModernBertSentenceSimilarityTrainer ModernBertSentenceSimilarity(this RegressionCatalog.RegressionTrainers catalog,
        ModernBertSentenceSimilarityOptions options) => new(CatalogUtils.GetEnvironment(catalog), options);

    /// <summary>
    /// Fine-tunes ModernBERT to tag each whitespace-separated word of a sentence. Label: Vector of Key, one per word.
    /// Output: PredictedLabel, Vector of Key, one per word. Column parameters are named and ordered as ML.NET's
    /// <c>NamedEntityRecognition</c>.
    /// </summary>
    /// <param name="model">The encoder; null: Small from scratch with one masked-LM warm-up epoch.</param>
    public static ModernBertNamedEntityRecognitionTrainer ModernBertNamedEntityRecognition(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label", string outputColumnName = "PredictedLabel", string sentence1ColumnName = "Sentence",
        ModernBertSource? model = null, int epochs = 3, IDataView? validationSet = null) =>
        new(CatalogUtils.GetEnvironment(catalog), new ModernBertNamedEntityRecognitionOptions
        {
            LabelColumnName = labelColumnName, PredictedLabelColumnName = outputColumnName, Sentence1ColumnName = sentence1ColumnName,
            Model = model ?? ModernBertSource.FromScratch(), Epochs = epochs, ValidationSet = validationSet,
        });

    public static ModernBertNamedEntityRecognitionTrainer ModernBertNamedEntityRecognition(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        ModernBertNamedEntityRecognitionOptions options) => new(CatalogUtils.GetEnvironment(catalog), options);
}
