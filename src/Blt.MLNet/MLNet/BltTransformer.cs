using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNetExt.Training.MLNet;

namespace MLNetExt.Blt.MLNet;

/// <summary>
/// Base of the BLT transformers: every row becomes byte ids (<see cref="BltInput"/>), a row costs its id count against
/// the token budget, a batch runs as buckets of similar length, and the saved folder holds <c>Input.json</c> beside
/// what the model writes (see <see cref="SavedModel"/>).
/// </summary>
public abstract class BltTransformer<TResult> : ScoringTransformer<long[], TResult>
{
    const string InputStream = "Input.json";

    public BltInput Input { get; }

    /// <param name="bytePositions">The model's byte context and its config key, which bounds <see cref="BltInput.MaxBytes"/>.</param>
    private protected BltTransformer(IHostEnvironment env, string name, BltInput input, (int Positions, string Key) bytePositions, ScoringOptions scoring)
        : base(env, name, scoring)
    {
        input.Validate(bytePositions);
        Input = input;
    }

    protected sealed override IReadOnlyList<ColumnRequirement> InputColumns => [Input.Requirement];

    protected sealed override Func<long[]> MakeItemReader(DataViewRow input) => Input.MakeReader(input);

    protected sealed override int Cost(long[] item) => item.Length;

    /// <summary>Rows of mixed lengths go to the model in buckets of similar length (<see cref="LengthBuckets"/>), never padded to the longest row.</summary>
    protected sealed override TResult[] ScoreBatch(IReadOnlyList<long[]> items) => LengthBuckets.Score(items, ScoreRows);

    /// <summary>One model call over rows of similar length; returns one result per row, in order.</summary>
    private protected abstract TResult[] ScoreRows(IReadOnlyList<long[]> items);

    protected sealed override void SavePayload(SavedModelWriter writer)
    {
        writer.WriteJson(InputStream, Input);
        SaveModel(writer);
    }

    /// <summary>Writes the model (config, weights) and its output column names.</summary>
    private protected abstract void SaveModel(SavedModelWriter writer);

    private protected static BltInput ReadInput(SavedModelReader saved) => saved.ReadJson<BltInput>(InputStream);

    /// <summary>A BLT model as <c>Config.json</c> (HF config.json) and <c>Weights.safetensors</c> (HF keys).</summary>
    private protected static void WriteModel(SavedModelWriter writer, BltModel model)
    {
        writer.WriteConfig(BltConfigJson.ToJson(model.Config));
        writer.WriteWeights(model);
    }

    private protected static BltModel ReadModel(SavedModelReader saved)
    {
        var config = ReadConfig(saved);
        return saved.ReadWeights(config.ParameterCount(), () => new BltModel(config));
    }

    /// <summary>The saved <c>Config.json</c>, validated; errors name the zip entry and the key.</summary>
    private protected static BltConfig ReadConfig(SavedModelReader saved) =>
        BltConfigJson.Parse(saved.ReadConfig<JsonObject>(), saved.Describe(SavedModel.ConfigStream));
}
