using Microsoft.ML;
using Microsoft.ML.Data;

namespace EmbeddingsToLightGbm;

public partial class MLModel
{
    /// <summary>Model input: one email; Label is true for spam (only read when training).</summary>
    public class ModelInput
    {
        [LoadColumn(0), ColumnName("Label")]
        public bool Label { get; set; }

        [LoadColumn(1), ColumnName("Text")]
        public string Text { get; set; } = "";
    }

    /// <summary>Model output: spam or not, LightGBM's raw score and its calibrated probability.</summary>
    public class ModelOutput
    {
        [ColumnName("PredictedLabel")]
        public bool PredictedLabel { get; set; }

        [ColumnName("Score")]
        public float Score { get; set; }

        [ColumnName("Probability")]
        public float Probability { get; set; }
    }

    public static string MLNetModelPath { get; set; } = Path.GetFullPath("EmbeddingsToLightGbm.mlnet");

    public static readonly Lazy<PredictionEngine<ModelInput, ModelOutput>> PredictEngine = new(() => CreatePredictEngine(), true);

    /// <summary>Predicts one email with the saved model.</summary>
    public static ModelOutput Predict(ModelInput input) => PredictEngine.Value.Predict(input);

    static PredictionEngine<ModelInput, ModelOutput> CreatePredictEngine()
    {
        var mlContext = new MLContext();
        ITransformer mlModel = mlContext.Model.Load(MLNetModelPath, out _);
        return mlContext.Model.CreatePredictionEngine<ModelInput, ModelOutput>(mlModel);
    }
}
