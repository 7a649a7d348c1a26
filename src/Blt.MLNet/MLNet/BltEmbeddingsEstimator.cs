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
        _ => throw new ArgumentException("BltEmbeddings needs exactly one of ModelPath or Model."),
    };
}

/// <summary>Nothing to train: Fit checks the schema and returns the BLT as a transformer.</summary>
public sealed class BltEmbeddingsEstimator(IHostEnvironment env, BltEmbeddingsOptions options) : IEstimator<BltEmbeddingsTransformer>
{
    BltInput Input => new(options.InputColumnName, options.MaxBytes, AddEos: false);

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        int size = (options.Model?.Config ?? BltConfigJson.Read(Path.Combine(options.ModelPath ?? "", BltCheckpoint.ConfigFile))).GlobalConfig.HiddenSize;
        return Input.OutputShape(inputSchema, [ScoreColumns.Vector<float[]>(options.OutputColumnName, size, v => v).ToShape()]);
    }

    public BltEmbeddingsTransformer Fit(IDataView input)
    {
        Input.Requirement.Find(input.Schema);
        return new BltEmbeddingsTransformer(env, Input, options.OutputColumnName, options.Resolve(), options.Scoring);
    }
}
