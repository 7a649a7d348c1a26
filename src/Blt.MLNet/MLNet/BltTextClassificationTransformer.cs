using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetExt.Blt.MLNet;
using MLNetExt.Training.MLNet;
using static TorchSharp.torch;

[assembly: LoadableClass(typeof(ITransformer), typeof(BltTextClassificationTransformer), null, typeof(SignatureLoadModel),
    "BLT text classification", BltTextClassificationTransformer.LoaderSignature)]

namespace MLNetExt.Blt.MLNet;

/// <summary>The columns a BLT text classifier writes, saved beside its config.</summary>
public sealed record BltTextClassificationColumns(string PredictedLabel, string Score);

/// <summary>
/// Scores text with a trained <see cref="BltForSequenceClassification"/>: PredictedLabel (a key over the training
/// classes) and Score (class probabilities). Saved as <c>Input.json</c>, <c>Columns.json</c>, <c>Labels.json</c>,
/// <c>Config.json</c> (HF BLT config.json) and <c>Weights.safetensors</c> (<c>blt.*</c> HF keys, <c>classifier.*</c>).
/// </summary>
public sealed class BltTextClassificationTransformer : BltTransformer<float[]>
{
    public const string LoaderSignature = "MLNetExtBltClassifier";
    const string ColumnsStream = "Columns.json";
    const string LabelsStream = "Labels.json";

    readonly BltTextClassificationColumns _columns;
    readonly LabelKeys _labels;
    readonly ScoreColumn<float[]>[] _outputs;

    public BltForSequenceClassification Model { get; }
    public IReadOnlyList<string> Classes => _labels.Names;

    internal BltTextClassificationTransformer(IHostEnvironment env, BltInput input, BltTextClassificationColumns columns, LabelKeys labels,
        BltForSequenceClassification model, ScoringOptions scoring)
        : base(env, nameof(BltTextClassificationTransformer), input, model.Config.BytePositions, scoring)
    {
        if (model.Classes != labels.Count) throw new ArgumentException($"The model has {model.Classes} classes, the labels {labels.Count}.", nameof(labels));
        (_columns, _labels, Model) = (columns, labels, model);
        Model.eval();
        _outputs = ScoreColumns.Multiclass<float[]>(labels, p => p, columns.PredictedLabel, columns.Score);
    }

    BltTextClassificationTransformer(IHostEnvironment env, SavedModelReader saved, LabelKeys labels)
        : this(env, ReadInput(saved), saved.ReadJson<BltTextClassificationColumns>(ColumnsStream), labels, Load(saved, labels.Count), saved.Scoring) { }

    static BltForSequenceClassification Load(SavedModelReader saved, int classes)
    {
        var config = ReadConfig(saved);
        return saved.ReadWeights(config.ParameterCount(), () => new BltForSequenceClassification(config, classes));
    }

    static VersionInfo VersionInfo() => SavedModel.Version("BLTCLSFR", 0x00010001, LoaderSignature, typeof(BltTextClassificationTransformer));

    static ITransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        var saved = Open(ctx, VersionInfo());
        return new BltTextClassificationTransformer(env, saved, new LabelKeys(saved.ReadJson<string[]>(LabelsStream)));
    }

    protected override VersionInfo Version => VersionInfo();

    protected override IReadOnlyList<ScoreColumn<float[]>> OutputColumns => _outputs;

    private protected override float[][] ScoreRows(IReadOnlyList<long[]> items)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var probabilities = Model.forward(BltBatch.ForInference(items)).softmax(-1).data<float>().ToArray();   // (B · classes)
        return Enumerable.Range(0, items.Count).Select(r => probabilities.AsSpan(r * Model.Classes, Model.Classes).ToArray()).ToArray();
    }

    private protected override void SaveModel(SavedModelWriter writer)
    {
        writer.WriteConfig(BltConfigJson.ToJson(Model.Config));
        writer.WriteJson(ColumnsStream, _columns);
        writer.WriteJson(LabelsStream, _labels.Names);
        writer.WriteWeights(Model);
    }
}
