using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNetExt.Blt.MLNet;
using MLNetExt.Training.MLNet;
using static TorchSharp.torch;

[assembly: LoadableClass(typeof(ITransformer), typeof(BltEmbeddingsTransformer), null, typeof(SignatureLoadModel),
    "BLT embeddings", BltEmbeddingsTransformer.LoaderSignature)]

namespace MLNetExt.Blt.MLNet;

/// <summary>
/// One vector per row: the mean of the row's latent patch states (<see cref="BltForSequenceClassification.PooledLatents"/>),
/// Vector&lt;Single&gt; of the global transformer's width. Saved as <c>Input.json</c>, <c>Columns.json</c>,
/// <c>Config.json</c> (HF BLT config.json) and <c>Weights.safetensors</c> (HF keys).
/// </summary>
public sealed class BltEmbeddingsTransformer : BltTransformer<float[]>
{
    public const string LoaderSignature = "MLNetExtBltEmbeddings";
    const string ColumnsStream = "Columns.json";

    readonly string _outputColumn;
    readonly ScoreColumn<float[]>[] _outputs;

    public BltModel Model { get; }
    public int Dimension => Model.Config.GlobalConfig.HiddenSize;

    internal BltEmbeddingsTransformer(IHostEnvironment env, BltInput input, string outputColumn, BltModel model, ScoringOptions scoring)
        : base(env, nameof(BltEmbeddingsTransformer), input, model.Config.BytePositions, scoring)
    {
        (_outputColumn, Model) = (outputColumn, model);
        Model.eval();
        _outputs = [ScoreColumns.Vector<float[]>(outputColumn, Dimension, v => v)];
    }

    BltEmbeddingsTransformer(IHostEnvironment env, SavedModelReader saved)
        : this(env, ReadInput(saved), saved.ReadJson<string>(ColumnsStream), ReadModel(saved), saved.Scoring) { }

    static VersionInfo VersionInfo() => SavedModel.Version("BLTEMBED", 0x00010001, LoaderSignature, typeof(BltEmbeddingsTransformer));

    static ITransformer Create(IHostEnvironment env, ModelLoadContext ctx) => new BltEmbeddingsTransformer(env, Open(ctx, VersionInfo()));

    protected override VersionInfo Version => VersionInfo();

    protected override IReadOnlyList<ScoreColumn<float[]>> OutputColumns => _outputs;

    private protected override float[][] ScoreRows(IReadOnlyList<long[]> items)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var pooled = BltForSequenceClassification.PooledLatents(Model, BltBatch.ForInference(items)).to_type(ScalarType.Float32).cpu().data<float>().ToArray();
        return Enumerable.Range(0, items.Count).Select(r => pooled.AsSpan(r * Dimension, Dimension).ToArray()).ToArray();
    }

    private protected override void SaveModel(SavedModelWriter writer)
    {
        WriteModel(writer, Model);
        writer.WriteJson(ColumnsStream, _outputColumn);
    }
}
