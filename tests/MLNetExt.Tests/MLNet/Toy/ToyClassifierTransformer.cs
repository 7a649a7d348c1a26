using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetExt.Tests.MLNet.Toy;
using MLNetExt.Training.MLNet;
using static TorchSharp.torch;

[assembly: LoadableClass(typeof(ITransformer), typeof(ToyClassifierTransformer), null, typeof(SignatureLoadModel),
    "MLNetExt toy text classifier", ToyClassifierTransformer.LoaderSignature)]

namespace MLNetExt.Tests.MLNet.Toy;

/// <summary>The columns a toy classifier reads and writes, saved beside its config.</summary>
public sealed record ToyColumns(string Text, string PredictedLabel, string Score);

/// <summary>Scores text with a <see cref="ToyModel"/>: PredictedLabel (key) and Score (class probabilities).</summary>
public sealed class ToyClassifierTransformer : ScoringTransformer<long[], float[]>
{
    public const string LoaderSignature = "MLNetExtToyClassifier";
    const string ColumnsStream = "Columns.json";
    const string LabelsStream = "Labels.json";

    readonly ToyConfig _config;
    readonly ToyColumns _columns;
    readonly LabelKeys _labels;
    readonly ToyModel _model;
    readonly ScoreColumn<float[]>[] _outputs;

    /// <summary>Counts every model call, batch sizes included, for the tests.</summary>
    public List<int> BatchSizes { get; } = [];

    /// <summary>Runs at the start of every model call, after <see cref="BatchSizes"/> records it: tests block or throw here.</summary>
    public Action<IReadOnlyList<long[]>>? BeforeBatch { get; set; }

    internal ToyClassifierTransformer(IHostEnvironment env, ToyConfig config, ToyColumns columns, LabelKeys labels, ToyModel model, ScoringOptions scoring)
        : base(env, nameof(ToyClassifierTransformer), scoring)
    {
        (_config, _columns, _labels, _model) = (config, columns, labels, model);
        _model.eval();
        _outputs = ScoreColumns.Multiclass<float[]>(labels, p => p, columns.PredictedLabel, columns.Score);
    }

    ToyClassifierTransformer(IHostEnvironment env, SavedModelReader saved)
        : this(env, saved.ReadConfig<ToyConfig>(), saved.ReadJson<ToyColumns>(ColumnsStream),
            new LabelKeys(saved.ReadJson<string[]>(LabelsStream)), LoadModel(saved), saved.Scoring) { }

    static ToyModel LoadModel(SavedModelReader saved)
    {
        var model = new ToyModel(saved.ReadConfig<ToyConfig>());
        saved.ReadWeights(model);
        return model;
    }

    static VersionInfo VersionInfo() => SavedModel.Version("TOYCLSFR", 0x00010001, LoaderSignature, typeof(ToyClassifierTransformer));

    static ITransformer Create(IHostEnvironment env, ModelLoadContext ctx) => new ToyClassifierTransformer(env, Open(ctx, VersionInfo()));

    protected override VersionInfo Version => VersionInfo();

    protected override IReadOnlyList<ColumnRequirement> InputColumns => [ColumnRequirement.Text(_columns.Text)];

    protected override IReadOnlyList<ScoreColumn<float[]>> OutputColumns => _outputs;

    protected override Func<long[]> MakeItemReader(DataViewRow input)
    {
        var text = input.GetGetter<ReadOnlyMemory<char>>(input.Schema[_columns.Text]);
        ReadOnlyMemory<char> value = default;
        return () =>
        {
            text(ref value);
            return ToyModel.Tokenize(value.Span, _config.Vocab);
        };
    }

    protected override int Cost(long[] item) => item.Length;

    protected override float[][] ScoreBatch(IReadOnlyList<long[]> items)
    {
        BatchSizes.Add(items.Count);
        BeforeBatch?.Invoke(items);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (tokens, rows) = ToyModel.Pack(items);
        var probabilities = _model.forward(tokens, rows).softmax(-1).data<float>().ToArray();   // (B * classes)
        return Enumerable.Range(0, items.Count).Select(r => probabilities.AsSpan(r * _config.Classes, _config.Classes).ToArray()).ToArray();
    }

    protected override void SavePayload(SavedModelWriter writer)
    {
        writer.WriteConfig(_config);
        writer.WriteJson(ColumnsStream, _columns);
        writer.WriteJson(LabelsStream, _labels.Names);
        writer.WriteWeights(_model);
    }
}
