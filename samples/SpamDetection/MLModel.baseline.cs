using Microsoft.ML;

namespace SpamDetection;

public partial class MLModel
{
    /// <summary>
    /// ML.NET's classic text pipeline, trained in the same run as the yardstick. SDCA's passes are capped: over the
    /// raw emails' large n-gram space it otherwise runs for many minutes while gaining little.
    /// </summary>
    public static IEstimator<ITransformer> BuildBaselinePipeline(MLContext mlContext) =>
        mlContext.Transforms.Conversion.MapValueToKey(outputColumnName: "Label", inputColumnName: "Label")
            .Append(mlContext.Transforms.Text.FeaturizeText(outputColumnName: "Features", inputColumnName: "Text"))
            .Append(mlContext.MulticlassClassification.Trainers.SdcaMaximumEntropy(labelColumnName: "Label", featureColumnName: "Features",
                maximumNumberOfIterations: 10))
            .Append(mlContext.Transforms.Conversion.MapKeyToValue(outputColumnName: "PredictedLabel", inputColumnName: "PredictedLabel"));
}
