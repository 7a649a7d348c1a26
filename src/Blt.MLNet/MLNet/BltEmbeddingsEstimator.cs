using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNetExt.Training.MLNet;

namespace MLNetExt.Blt.MLNet;

/// <summary>Options of <c>mlContext.Transforms.Text.BltEmbeddings</c>; the BLT comes from <see cref="ModelPath"/> (a BLT folder) or <see cref="Model"/>.</summary>
public sealed record BltEmbeddingsOptions
{
    public string InputColumnName { get; init; } = "Text";
    public string OutputColumnName { get; init; } = "Features";
    public string? ModelPath { get; init; }
    public BltModel? Model { get; init; }
    public int MaxBytes { get; init; } = 4096;
    public ScoringOptions Scoring { get; init; } = new();

    internal BltModel Resolve() => (ModelPath, Model) switch
    {
        (string path, null) => BltCheckpoint.Load(path),
        (null, BltModel model) => model,
        _ => throw OneSource(),
    };

    /// <summary>The BLT's config without loading its weights (for the output shape).</summary>
    internal BltConfig Config() => (ModelPath, Model) switch
    {
        (string path, null) => BltConfigJson.Read(Path.Combine(path, BltCheckpoint.ConfigFile)),
        (null, BltModel model) => model.Config,
        _ => throw OneSource(),
    };

    static ArgumentException OneSource() => new("BltEmbeddings needs exactly one of ModelPath or Model.");
}

/// <summary>Nothing to train: Fit checks the schema and returns the BLT as a transformer.</summary>
public sealed class BltEmbeddingsEstimator(IHostEnvironment env, BltEmbeddingsOptions options) : IEstimator<BltEmbeddingsTransformer>
{
    BltInput Input => new(options.InputColumnName, options.MaxBytes, AddEos: false);

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        int size = options.Config().GlobalConfig.HiddenSize;
        return Input.OutputShape(inputSchema, [ScoreColumns.Vector<float[]>(options.OutputColumnName, size, v => v).ToShape()]);
    }

    public BltEmbeddingsTransformer Fit(IDataView input)
    {
        Input.Requirement.Find(input.Schema);
        return new BltEmbeddingsTransformer(env, Input, options.OutputColumnName, options.Resolve(), options.Scoring);
    }
}
