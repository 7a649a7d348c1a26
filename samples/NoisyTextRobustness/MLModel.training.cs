using Microsoft.ML;
using MLNetExt.Blt.MLNet;
using MLNetExt.Training;

namespace NoisyTextRobustness;

public partial class MLModel
{
    /// <summary>
    /// BLT trained from scratch (small preset, space patching) on the first 384 bytes of each body: no tokenizer, so
    /// a flipped case or a homoglyph changes a byte or two rather than the whole token sequence. bf16 compute.
    /// </summary>
    public static IEstimator<ITransformer> BuildBltPipeline(MLContext mlContext) =>
        mlContext.Transforms.Conversion.MapValueToKey(outputColumnName: "Label", inputColumnName: "Label")
            .Append(mlContext.MulticlassClassification.Trainers.Blt(new BltClassifierOptions
            {
                LabelColumnName = "Label",
                Sentence1ColumnName = "Text",
                MaxBytes = 384,
                Training = new BltTrainingOptions
                {
                    Preset = BltPreset.Small, Epochs = 3, BatchSize = 16, LearningRate = 1e-3, Seed = 1, LogEvery = 25,
                    Precision = TrainingPrecision.BFloat16,
                },
            }))
            .Append(mlContext.Transforms.Conversion.MapKeyToValue(outputColumnName: "PredictedLabel", inputColumnName: "PredictedLabel"));

    /// <summary>ML.NET's classic word/char n-gram pipeline, the yardstick.</summary>
    public static IEstimator<ITransformer> BuildBaselinePipeline(MLContext mlContext) =>
        mlContext.Transforms.Conversion.MapValueToKey(outputColumnName: "Label", inputColumnName: "Label")
            .Append(mlContext.Transforms.Text.FeaturizeText(outputColumnName: "Features", inputColumnName: "Text"))
            .Append(mlContext.MulticlassClassification.Trainers.SdcaMaximumEntropy(labelColumnName: "Label", featureColumnName: "Features",
                maximumNumberOfIterations: 10))
            .Append(mlContext.Transforms.Conversion.MapKeyToValue(outputColumnName: "PredictedLabel", inputColumnName: "PredictedLabel"));
}
