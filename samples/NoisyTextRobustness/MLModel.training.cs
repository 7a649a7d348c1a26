using Microsoft.ML;
using MLNetExt.Blt.MLNet;
using MLNetExt.ModernBert;
using MLNetExt.ModernBert.MLNet;
using MLNetExt.Training;

namespace NoisyTextRobustness;

public partial class MLModel
{
    /// <summary>
    /// BLT trained from scratch (tiny preset, space patching) on the first 256 bytes of each body: no tokenizer, so
    /// a flipped case or a homoglyph changes a byte or two rather than the whole token sequence. bf16 compute.
    /// </summary>
    public static IEstimator<ITransformer> BuildBltPipeline(MLContext mlContext) =>
        mlContext.Transforms.Conversion.MapValueToKey(outputColumnName: "Label", inputColumnName: "Label")
            .Append(mlContext.MulticlassClassification.Trainers.Blt(new BltTextClassificationOptions
            {
                LabelColumnName = "Label",
                Sentence1ColumnName = "Text",
                MaxBytes = 256,
                Model = BltSource.FromScratch(BltSize.Tiny),
                Epochs = 3, BatchSize = 16, LearningRate = 2e-3, Seed = 1, LogEvery = 25,
                Precision = TrainingPrecision.BFloat16,
            }))
            .Append(mlContext.Transforms.Conversion.MapKeyToValue(outputColumnName: "PredictedLabel", inputColumnName: "PredictedLabel"));

    /// <summary>
    /// ModernBERT trained from scratch the way samples/SpamDetection does (GPT-2 BPE tokenizer, 2 layers × 128, one
    /// masked-LM epoch on the training text, then fine-tuning), on the first 128 tokens: subword tokens, so noise that
    /// breaks a word splits it into unfamiliar pieces.
    /// </summary>
    public static IEstimator<ITransformer> BuildModernBertPipeline(MLContext mlContext) =>
        mlContext.Transforms.Conversion.MapValueToKey(outputColumnName: "Label", inputColumnName: "Label")
            .Append(mlContext.MulticlassClassification.Trainers.ModernBert(new ModernBertTextClassificationOptions
            {
                LabelColumnName = "Label",
                Sentence1ColumnName = "Text",
                Model = ModernBertSource.FromScratch(new ModernBertConfig
                {
                    HiddenSize = 128, IntermediateSize = 256, NumHiddenLayers = 2, NumAttentionHeads = 2,
                    MaxPositionEmbeddings = 512, LocalAttention = 128,
                }, maskedLmEpochs: 1),
                Pooling = "mean",
                MaxLength = 128,
                Epochs = 3,
                LearningRate = 5e-4,
                MaskedLmLearningRate = 1e-3,
                Precision = TrainingPrecision.BFloat16,
                Seed = 1,
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
