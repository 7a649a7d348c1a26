using Microsoft.ML;
using Microsoft.ML.Data;

namespace NoisyTextRobustness;

public partial class MLModel
{
    /// <summary>Model input: one email body and its label ("spam" or "ham").</summary>
    public class ModelInput
    {
        [ColumnName("Label")]
        public string Label { get; set; } = "";

        [ColumnName("Text")]
        public string Text { get; set; } = "";
    }

    /// <summary>Model output: the predicted label and one score per class.</summary>
    public class ModelOutput
    {
        [ColumnName("PredictedLabel")]
        public string PredictedLabel { get; set; } = "";

        [ColumnName("Score")]
        public float[] Score { get; set; } = [];
    }

    public static string MLNetModelPath { get; set; } = Path.GetFullPath("NoisyTextRobustness.mlnet");

    public static readonly Lazy<PredictionEngine<ModelInput, ModelOutput>> PredictEngine = new(() => CreatePredictEngine(), true);

    /// <summary>Predicts one email with the saved BLT model.</summary>
    public static ModelOutput Predict(ModelInput input) => PredictEngine.Value.Predict(input);

    static PredictionEngine<ModelInput, ModelOutput> CreatePredictEngine()
    {
        var mlContext = new MLContext();
        ITransformer mlModel = mlContext.Model.Load(MLNetModelPath, out _);
        return mlContext.Model.CreatePredictionEngine<ModelInput, ModelOutput>(mlModel);
    }
}
