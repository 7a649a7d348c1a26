using Microsoft.ML;
using MLNetExt.ModernBert.MLNet;

namespace EmbeddingsToLightGbm;

public partial class MLModel
{
    /// <summary>The Hugging Face ModernBERT folder the features come from (<see cref="PretrainEncoder"/> writes one).</summary>
    public static string EncoderFolder { get; set; } = Path.GetFullPath("encoder");

    /// <summary>Tokens per email the encoder reads, [CLS]/[SEP] included: the headers and the start of the body.</summary>
    public const int MaxLength = 128;

    /// <summary>
    /// ModernBERT embeddings (mean-pooled, unit length, bf16 scoring), computed once into a cache, then LightGBM's
    /// gradient-boosted trees on them.
    /// </summary>
    public static IEstimator<ITransformer> BuildPipeline(MLContext mlContext) =>
        mlContext.Transforms.Text.ModernBertEmbeddings(new ModernBertEmbeddingsOptions
        {
            OutputColumnName = "Features", InputColumnName = "Text", ModelPath = EncoderFolder,
            Pooling = ModernBertPooling.Mean, MaxLength = MaxLength, BFloat16 = true,
        })
            .AppendCacheCheckpoint(mlContext)
            .Append(mlContext.BinaryClassification.Trainers.LightGbm(labelColumnName: "Label", featureColumnName: "Features",
                numberOfLeaves: 31, numberOfIterations: 200, learningRate: 0.1));

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
