using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetExt.Blt.Modules;
using MLNetExt.Blt.Patching;
using MLNetExt.Training.MLNet;

namespace MLNetExt.Blt.MLNet;

/// <summary>
/// Options of <c>mlContext.Transforms.Text.BltPatches</c>. The entropy model comes from exactly one of
/// <see cref="ModelPath"/> (a BLT folder), <see cref="Model"/> (a loaded BLT) or <see cref="EntropyModel"/> with
/// <see cref="Patcher"/>; a BLT brings its own patcher (mode, threshold, max patch length).
/// </summary>
public sealed record BltPatchesOptions
{
    public string InputColumnName { get; init; } = "Text";
    /// <summary>Vector&lt;Int32&gt; of patch lengths.</summary>
    public string OutputColumnName { get; init; } = "Patches";
    /// <summary>Vector&lt;Single&gt; of next-byte entropies (nats), one per id.</summary>
    public string EntropiesColumnName { get; init; } = "Entropies";
    public string? ModelPath { get; init; }
    public BltModel? Model { get; init; }
    public EntropyModel? EntropyModel { get; init; }
    public Patcher? Patcher { get; init; }
    public int MaxBytes { get; init; } = 4096;
    public ScoringOptions Scoring { get; init; } = new();

    internal (EntropyModel Model, Patcher Patcher) Resolve()
    {
        int given = (ModelPath is null ? 0 : 1) + (Model is null ? 0 : 1) + (EntropyModel is null ? 0 : 1);
        if (given != 1) throw new ArgumentException($"BltPatches needs exactly one of ModelPath, Model or EntropyModel; got {given}.");
        if (EntropyModel is not null)
            return (EntropyModel, Patcher ?? throw new ArgumentException("BltPatches with an EntropyModel needs the Patcher that turns its entropies into patches."));
        var blt = Model ?? BltCheckpoint.Load(ModelPath!);
        var entropyModel = blt.EntropyModel ?? throw new ArgumentException(
            $"The BLT {(ModelPath is null ? "model" : $"at '{ModelPath}'")} has no entropy model (patch_in_forward is false); BltPatches needs one.");
        return (entropyModel, Patcher ?? blt.Patcher);
    }
}

/// <summary>Nothing to train: Fit checks the schema and returns the patcher as a transformer.</summary>
public sealed class BltPatchesEstimator(IHostEnvironment env, BltPatchesOptions options) : IEstimator<BltPatchesTransformer>
{
    BltInput Input => new(options.InputColumnName, options.MaxBytes, AddEos: false);

    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => Input.OutputShape(inputSchema,
    [
        new SchemaShape.Column(options.OutputColumnName, SchemaShape.Column.VectorKind.VariableVector, NumberDataViewType.Int32, isKey: false),
        new SchemaShape.Column(options.EntropiesColumnName, SchemaShape.Column.VectorKind.VariableVector, NumberDataViewType.Single, isKey: false),
    ]);

    public BltPatchesTransformer Fit(IDataView input)
    {
        Input.Requirement.Find(input.Schema);
        var (model, patcher) = options.Resolve();
        return new BltPatchesTransformer(env, Input, new BltPatchesColumns(options.OutputColumnName, options.EntropiesColumnName), model, patcher, options.Scoring);
    }
}
