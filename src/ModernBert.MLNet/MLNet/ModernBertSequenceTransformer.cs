using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetExt.ModernBert.MLNet;
using MLNetExt.Training.MLNet;
using static TorchSharp.torch;

[assembly: LoadableClass(typeof(ITransformer), typeof(ModernBertSequenceTransformer), null, typeof(SignatureLoadModel),
    "ModernBERT sequence classifier / similarity", ModernBertSequenceTransformer.LoaderSignature)]

namespace MLNetExt.ModernBert.MLNet;

/// <summary>
/// What a fitted sequence model reads and writes, saved as <c>Settings.json</c>. <see cref="PredictedLabel"/> is null
/// for a similarity (regression) model, whose <see cref="Score"/> is one float.
/// </summary>
public sealed record ModernBertSequenceSettings(string Sentence1, string? Sentence2, string? PredictedLabel, string Score, int MaxLength, bool BFloat16);

/// <summary>
/// Scores one text or a text pair with a fine-tuned <see cref="ModernBertForSequenceClassification"/>, one packed
/// forward per batch. A classifier adds <c>PredictedLabel</c> (key over the training classes) and <c>Score</c>
/// (class probabilities, softmax); a similarity model adds <c>Score</c> (Single). Labels are never read.
/// </summary>
public sealed class ModernBertSequenceTransformer : ScoringTransformer<TokenizedRow, float[]>
{
    public const string LoaderSignature = "ModernBertSequence";
    const string SettingsStream = "Settings.json";
    const string LabelsStream = "Labels.json";

    readonly ModernBertSequenceSettings _settings;
    readonly ModernBertForSequenceClassification _model;
    readonly ScoreColumn<float[]>[] _outputs;
    readonly Func<Tensor, Tensor> _scores;

    public ModernBertEncoder Encoder { get; }
    /// <summary>The classes in key order; null for a similarity model.</summary>
    public LabelKeys? Labels { get; }
    public ModernBertForSequenceClassification Model => _model;

    internal ModernBertSequenceTransformer(IHostEnvironment env, ModernBertSequenceSettings settings, ModernBertEncoder encoder,
        ModernBertForSequenceClassification model, LabelKeys? labels, ScoringOptions scoring)
        : base(env, nameof(ModernBertSequenceTransformer), scoring)
    {
        (_settings, Encoder, Labels) = (settings, encoder, labels);
        _model = encoder.Prepare(model);
        if (labels is null)
        {
            _outputs = [ScoreColumns.Scalar<float[]>(settings.Score, r => r[0], AnnotationUtils.Const.ScoreColumnKind.Regression)];
            _scores = logits => logits;
        }
        else
        {
            _outputs = ScoreColumns.Multiclass<float[]>(labels, p => p, settings.PredictedLabel!, settings.Score);
            _scores = logits => logits.softmax(-1);
        }
    }

    ModernBertSequenceTransformer(IHostEnvironment env, SavedModelReader saved, ModernBertSequenceSettings settings)
        : this(env, settings, saved, ModernBertEncoder.Load(saved, settings.MaxLength, settings.BFloat16, c => new ModernBertForSequenceClassification(c))) { }

    ModernBertSequenceTransformer(IHostEnvironment env, ModernBertSequenceSettings settings, SavedModelReader saved,
        (ModernBertEncoder Encoder, ModernBertForSequenceClassification Model) loaded)
        : this(env, settings, loaded.Encoder, loaded.Model,
            settings.PredictedLabel is null ? null : new LabelKeys(saved.ReadJson<string[]>(LabelsStream)), saved.Scoring) { }

    static VersionInfo VersionInfo() => SavedModel.Version("MBSEQCLS", 0x00010001, LoaderSignature, typeof(ModernBertSequenceTransformer));

    static ITransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        var saved = Open(ctx, VersionInfo());
        return new ModernBertSequenceTransformer(env, saved, saved.ReadJson<ModernBertSequenceSettings>(SettingsStream));
    }

    /// <summary>Writes the fine-tuned model as a Hugging Face folder (config.json, model.safetensors, tokenizer.json).</summary>
    public void SaveAsHuggingFace(string folder)
    {
        ModernBertCheckpoint.Save(_model, folder);
        Encoder.Tokenizer.Save(Path.Combine(folder, ModernBertSource.TokenizerFile));
    }

    protected override VersionInfo Version => VersionInfo();

    protected override IReadOnlyList<ColumnRequirement> InputColumns => ModernBertEncoder.TextColumns(_settings.Sentence1, _settings.Sentence2);

    protected override IReadOnlyList<ScoreColumn<float[]>> OutputColumns => _outputs;

    protected override Func<TokenizedRow> MakeItemReader(DataViewRow input) => Encoder.Reader(input, _settings.Sentence1, _settings.Sentence2);

    protected override int Cost(TokenizedRow item) => item.Ids.Length;

    protected override float[][] ScoreBatch(IReadOnlyList<TokenizedRow> items)
    {
        Encoder.ReportTruncation(Host, items.Count(i => i.Truncated));
        using var scope = NewDisposeScope();
        var scores = _scores(Encoder.Forward(items.Select(i => i.Ids).ToArray(), input => _model.call(input)));   // [B, outputs]
        return ModernBertEncoder.Rows(scores);
    }

    protected override void SavePayload(SavedModelWriter writer)
    {
        Encoder.Save(writer, _model, nameof(ModernBertForSequenceClassification));
        writer.WriteJson(SettingsStream, _settings);
        if (Labels is not null) writer.WriteJson(LabelsStream, Labels.Names);
    }
}
