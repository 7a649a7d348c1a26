using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetExt.ModernBert.MLNet;
using MLNetExt.Training.MLNet;
using static TorchSharp.torch;

[assembly: LoadableClass(typeof(ITransformer), typeof(ModernBertEmbeddingsTransformer), null, typeof(SignatureLoadModel),
    "ModernBERT text embeddings", ModernBertEmbeddingsTransformer.LoaderSignature)]

namespace MLNetExt.ModernBert.MLNet;

/// <summary>What a fitted embeddings transformer reads, writes and how it pools; saved as <c>Settings.json</c>.</summary>
public sealed record ModernBertEmbeddingsSettings(string Input, string Output, ModernBertPooling Pooling, bool Normalize, int MaxLength, bool BFloat16);

/// <summary>Text (String) to a Vector&lt;Single&gt; of the hidden size: one packed encoder forward per batch, pooled per text.</summary>
public sealed class ModernBertEmbeddingsTransformer : ScoringTransformer<TokenizedRow, float[]>
{
    public const string LoaderSignature = "ModernBertEmbeddings";
    const string SettingsStream = "Settings.json";

    readonly ModernBertEmbeddingsSettings _settings;
    readonly ModernBertModel _model;
    readonly ScoreColumn<float[]>[] _outputs;
    readonly Func<Tensor, PackedInput, Tensor> _pool;
    readonly Func<Tensor, Tensor> _normalize;

    public ModernBertEncoder Encoder { get; }

    internal ModernBertEmbeddingsTransformer(IHostEnvironment env, ModernBertEmbeddingsSettings settings, ModernBertEncoder encoder, ModernBertModel model, ScoringOptions scoring)
        : base(env, nameof(ModernBertEmbeddingsTransformer), scoring)
    {
        (_settings, Encoder) = (settings, encoder);
        _model = encoder.Prepare(model);
        _outputs = [ScoreColumns.Vector<float[]>(settings.Output, encoder.Config.HiddenSize, v => v)];
        _pool = settings.Pooling == ModernBertPooling.Cls ? ModernBertForSequenceClassification.ClsPool : ModernBertForSequenceClassification.MeanPool;
        _normalize = settings.Normalize ? v => nn.functional.normalize(v, p: 2, dim: 1) : v => v;
    }

    ModernBertEmbeddingsTransformer(IHostEnvironment env, SavedModelReader saved, ModernBertEmbeddingsSettings settings)
        : this(env, settings, saved, ModernBertEncoder.Load(saved, settings.MaxLength, settings.BFloat16, c => new ModernBertModel(c))) { }

    ModernBertEmbeddingsTransformer(IHostEnvironment env, ModernBertEmbeddingsSettings settings, SavedModelReader saved, (ModernBertEncoder Encoder, ModernBertModel Model) loaded)
        : this(env, settings, loaded.Encoder, loaded.Model, saved.Scoring) { }

    static VersionInfo VersionInfo() => SavedModel.Version("MBEMBEDS", 0x00010001, LoaderSignature, typeof(ModernBertEmbeddingsTransformer));

    static ITransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        var saved = Open(ctx, VersionInfo());
        return new ModernBertEmbeddingsTransformer(env, saved, saved.ReadJson<ModernBertEmbeddingsSettings>(SettingsStream));
    }

    protected override VersionInfo Version => VersionInfo();

    protected override IReadOnlyList<ColumnRequirement> InputColumns => [ColumnRequirement.Text(_settings.Input)];

    protected override IReadOnlyList<ScoreColumn<float[]>> OutputColumns => _outputs;

    protected override Func<TokenizedRow> MakeItemReader(DataViewRow input) => Encoder.Reader(input, _settings.Input);

    protected override int Cost(TokenizedRow item) => item.Ids.Length;

    protected override float[][] ScoreBatch(IReadOnlyList<TokenizedRow> items)
    {
        Encoder.ReportTruncation(Host, items.Count(i => i.Truncated));
        using var scope = NewDisposeScope();
        // Pool in float32: a mean over many bf16 vectors would lose the precision the pooling is for.
        var vectors = Encoder.Forward(items.Select(i => i.Ids).ToArray(), input => _normalize(_pool(_model.call(input).to(ScalarType.Float32), input))); // [B, H]
        return ModernBertEncoder.Rows(vectors);
    }

    protected override void SavePayload(SavedModelWriter writer)
    {
        Encoder.Save(writer, _model, nameof(ModernBertModel));
        writer.WriteJson(SettingsStream, _settings);
    }
}
