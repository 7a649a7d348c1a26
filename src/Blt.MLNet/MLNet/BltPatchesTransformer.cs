using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetExt.Blt.MLNet;
using MLNetExt.Blt.Modules;
using MLNetExt.Blt.Patching;
using MLNetExt.Training.MLNet;
using static TorchSharp.torch;

[assembly: LoadableClass(typeof(ITransformer), typeof(BltPatchesTransformer), null, typeof(SignatureLoadModel),
    "BLT entropy patches", BltPatchesTransformer.LoaderSignature)]

namespace MLNetExt.Blt.MLNet;

/// <summary>The columns <see cref="BltPatchesTransformer"/> writes.</summary>
public sealed record BltPatchesColumns(string Patches, string Entropies);

/// <summary>An entropy model's config and the patching rule applied to its entropies (saved as <c>Config.json</c>).</summary>
public sealed record BltPatcherSettings(BltPatcherConfig EntropyModel, PatchingMode Mode, double Threshold, int PatchSize, int? MaxPatchLength)
{
    public static BltPatcherSettings Of(EntropyModel model, Patcher patcher) =>
        new(model.Config, patcher.Mode, patcher.Threshold, patcher.PatchSize, patcher.MaxPatchLength);

    public Patcher ToPatcher() => new(Mode, Threshold, PatchSize, MaxPatchLength);
}

/// <summary>Patch lengths and next-byte entropies of one row.</summary>
public sealed record BltPatches(int[] Lengths, float[] Entropies);

/// <summary>
/// BLT's patching as a transform. For a row of n bytes the model sees BOS + the bytes (n + 1 ids):
/// <c>Patches</c> (Vector&lt;Int32&gt;) holds the patch lengths over those ids, summing to n + 1, the first being BOS's
/// own patch; <c>Entropies</c> (Vector&lt;Single&gt;, n + 1 values) holds H(next byte | ids ≤ t) in nats at each id t.
/// Identical to <see cref="BltModel.Patch"/> / <see cref="Patcher.PatchStarts"/> on the same ids.
/// </summary>
public sealed class BltPatchesTransformer : BltTransformer<BltPatches>
{
    public const string LoaderSignature = "MLNetExtBltPatches";
    const string ColumnsStream = "Columns.json";

    readonly BltPatchesColumns _columns;
    readonly ScoreColumn<BltPatches>[] _outputs;

    public EntropyModel EntropyModel { get; }
    public Patcher Patcher { get; }

    internal BltPatchesTransformer(IHostEnvironment env, BltInput input, BltPatchesColumns columns, EntropyModel entropyModel, Patcher patcher, ScoringOptions scoring)
        : base(env, nameof(BltPatchesTransformer), input, entropyModel.Config.BytePositions, scoring)
    {
        (_columns, EntropyModel, Patcher) = (columns, entropyModel, patcher);
        EntropyModel.eval();
        _outputs =
        [
            ScoreColumns.VariableVector<BltPatches, int>(columns.Patches, NumberDataViewType.Int32, p => p.Lengths),
            ScoreColumns.VariableVector<BltPatches, float>(columns.Entropies, NumberDataViewType.Single, p => p.Entropies),
        ];
    }

    BltPatchesTransformer(IHostEnvironment env, SavedModelReader saved, BltPatcherSettings settings)
        : this(env, ReadInput(saved), saved.ReadJson<BltPatchesColumns>(ColumnsStream), Load(saved, settings), settings.ToPatcher(), saved.Scoring) { }

    static EntropyModel Load(SavedModelReader saved, BltPatcherSettings settings)
    {
        var config = settings.EntropyModel ?? throw new InvalidDataException($"{saved.Describe(SavedModel.ConfigStream)} has no EntropyModel.");
        try { config.Validate(); }
        catch (ArgumentException e) { throw new InvalidDataException($"{saved.Describe(SavedModel.ConfigStream)}: {e.Message}", e); }
        return saved.ReadWeights(config.ParameterCount(), () => new EntropyModel(config));
    }

    static VersionInfo VersionInfo() => SavedModel.Version("BLTPATCH", 0x00010001, LoaderSignature, typeof(BltPatchesTransformer));

    static ITransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        var saved = Open(ctx, VersionInfo());
        return new BltPatchesTransformer(env, saved, saved.ReadConfig<BltPatcherSettings>());
    }

    protected override VersionInfo Version => VersionInfo();

    protected override IReadOnlyList<ScoreColumn<BltPatches>> OutputColumns => _outputs;

    private protected override BltPatches[] ScoreRows(IReadOnlyList<long[]> items)
    {
        using var scope = NewDisposeScope();
        var batch = BltBatch.ForInference(items);
        var entropies = EntropyModel.Entropies(batch).cpu().data<float>().ToArray();   // (B · S)
        return items.Select((ids, r) =>
        {
            var rowEntropies = entropies.AsSpan(r * batch.Length, ids.Length);
            return new BltPatches(Patcher.Lengths(Patcher.PatchStarts(ids, rowEntropies)), rowEntropies.ToArray());
        }).ToArray();
    }

    private protected override void SaveModel(SavedModelWriter writer)
    {
        writer.WriteConfig(BltPatcherSettings.Of(EntropyModel, Patcher));
        writer.WriteJson(ColumnsStream, _columns);
        writer.WriteWeights(EntropyModel);
    }
}
