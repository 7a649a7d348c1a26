using Microsoft.ML;
using Microsoft.ML.Data;

namespace BytesAnomaly;

public partial class MLModel
{
    /// <summary>Model input: one email body (any bytes; a String column is UTF-8 encoded).</summary>
    public class ModelInput
    {
        [ColumnName("Text")]
        public string Text { get; set; } = "";

        [ColumnName("IsSpam")]
        public bool IsSpam { get; set; }
    }

    /// <summary>Model output: bits per byte under the byte LM fitted on normal (ham) mail; higher is more unusual.</summary>
    public class ModelOutput
    {
        [ColumnName("BitsPerByte")]
        public float BitsPerByte { get; set; }
    }

    public static string MLNetModelPath { get; set; } = Path.GetFullPath("BytesAnomaly.mlnet");

    public static readonly Lazy<PredictionEngine<ModelInput, ModelOutput>> PredictEngine = new(() => CreatePredictEngine(), true);

    /// <summary>Scores one email with the saved model.</summary>
    public static ModelOutput Predict(ModelInput input) => PredictEngine.Value.Predict(input);

    static PredictionEngine<ModelInput, ModelOutput> CreatePredictEngine()
    {
        var mlContext = new MLContext();
        ITransformer mlModel = mlContext.Model.Load(MLNetModelPath, out _);
        return mlContext.Model.CreatePredictionEngine<ModelInput, ModelOutput>(mlModel);
    }
}
