using Microsoft.ML;
using MLNetExt.ModernBert.MLNet;
using MLNetExt.Training;

namespace BatchScoring;

public partial class MLModel
{
    /// <summary>
    /// The demo's model, sized to train in a minute or two on a laptop CPU: ModernBERT's tiny shape from scratch
    /// (2 layers, hidden 64, default GPT-2 tokenizer), no masked-LM warm-up, the first 128 tokens of each email,
    /// two epochs, bf16 compute and scoring.
    /// </summary>
    public static ModernBertTextClassificationOptions TrainerOptions { get; set; } = new()
    {
        LabelColumnName = "Label",
        Sentence1ColumnName = "Text",
        Model = ModernBertSource.FromScratch(ModernBertSize.Tiny, maskedLmEpochs: 0),
        Pooling = "mean",
        MaxLength = 128,
        TokenBudget = 8192,
        Epochs = 2,
        LearningRate = 1e-3,
        Precision = TrainingPrecision.BFloat16,
        ScoreInBFloat16 = true,
        Seed = 1,
    };

    /// <summary>Label strings to keys, ModernBERT, keys back to strings.</summary>
    public static IEstimator<ITransformer> BuildPipeline(MLContext mlContext) =>
        mlContext.Transforms.Conversion.MapValueToKey(outputColumnName: "Label", inputColumnName: "Label")
            .Append(mlContext.MulticlassClassification.Trainers.ModernBert(TrainerOptions))
            .Append(mlContext.Transforms.Conversion.MapKeyToValue(outputColumnName: "PredictedLabel", inputColumnName: "PredictedLabel"));

    /// <summary>Fits <see cref="BuildPipeline"/> on <paramref name="trainData"/>.</summary>
    public static ITransformer RetrainModel(MLContext mlContext, IDataView trainData) => BuildPipeline(mlContext).Fit(trainData);

    /// <summary>Trains on <paramref name="trainData"/> and saves the model to <paramref name="outputModelPath"/>.</summary>
    public static void Train(string outputModelPath, IDataView trainData)
    {
        var mlContext = new MLContext(seed: 1);
        var model = RetrainModel(mlContext, trainData);
        mlContext.Model.Save(model, trainData.Schema, outputModelPath);
    }
}
