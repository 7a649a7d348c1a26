using Microsoft.ML;
using MLNetExt.Blt.MLNet;

namespace BytesAnomaly;

public partial class MLModel
{
    /// <summary>
    /// A BLT byte LM trained from scratch on the training rows (ham only): its bits per byte is the anomaly score.
    /// Sized to train in a few CPU minutes: the tiny preset, the first 256 bytes of each body, 2 epochs, bf16 compute.
    /// </summary>
    public static IEstimator<ITransformer> BuildPipeline(MLContext mlContext) =>
        mlContext.Transforms.Text.BltBitsPerByte(new BltBitsPerByteOptions
        {
            InputColumnName = "Text",
            OutputColumnName = "BitsPerByte",
            MaxBytes = 256,
            SequenceLength = 256,
            Model = BltSource.FromScratch(BltSize.Tiny), Epochs = 2, BatchSize = 8, LearningRate = 3e-3, Seed = 1, LogEvery = 10,
            Precision = MLNetExt.Training.TrainingPrecision.BFloat16,
        });
}
