using Microsoft.ML;
using Microsoft.ML.Data;

namespace BatchScoring;

public partial class MLModel
{
    /// <summary>Model input: one email (the label is only read when training).</summary>
    public class ModelInput
    {
        [LoadColumn(0), ColumnName("Label")]
        public string Label { get; set; } = "";

        [LoadColumn(1), ColumnName("Text")]
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

    public static string MLNetModelPath { get; set; } = Path.GetFullPath("BatchScoring.mlnet");

    public static readonly Lazy<PredictionEngine<ModelInput, ModelOutput>> PredictEngine = new(() => CreatePredictEngine(), true);

    /// <summary>Predicts one email with the saved model; for files, see <see cref="BatchScorer"/>.</summary>
    public static ModelOutput Predict(ModelInput input) => PredictEngine.Value.Predict(input);

    static PredictionEngine<ModelInput, ModelOutput> CreatePredictEngine()
    {
        var mlContext = new MLContext();
        ITransformer mlModel = mlContext.Model.Load(MLNetModelPath, out _);
        return mlContext.Model.CreatePredictionEngine<ModelInput, ModelOutput>(mlModel);
    }
}
