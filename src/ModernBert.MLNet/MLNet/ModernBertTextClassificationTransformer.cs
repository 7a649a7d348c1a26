using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNetExt.ModernBert.MLNet;
using MLNetExt.Training.MLNet;
using static TorchSharp.torch;

[assembly: LoadableClass(typeof(ITransformer), typeof(ModernBertTextClassificationTransformer), null, typeof(SignatureLoadModel),
    "ModernBERT text classification", ModernBertTextClassificationTransformer.LoaderSignature)]

namespace MLNetExt.ModernBert.MLNet;

/// <summary>
/// Classifies one text or a text pair with a fine-tuned <see cref="ModernBertForSequenceClassification"/>:
/// <c>PredictedLabel</c> (key over the training classes) and <c>Score</c> (class probabilities, softmax).
/// </summary>
public sealed class ModernBertTextClassificationTransformer : ModernBertSequenceTransformer
{
    public const string LoaderSignature = "ModernBertSequence";
    const string LabelsStream = "Labels.json";

    readonly ScoreColumn<float[]>[] _outputs;

    /// <summary>The classes in key order.</summary>
    public LabelKeys Labels { get; }

    internal ModernBertTextClassificationTransformer(IHostEnvironment env, ModernBertSequenceSettings settings, ModernBertEncoder encoder,
        ModernBertForSequenceClassification model, LabelKeys labels, ScoringOptions scoring)
        : base(env, nameof(ModernBertTextClassificationTransformer), settings, encoder, model, scoring)
    {
        if (settings.PredictedLabel is null) throw new ArgumentException("A classifier needs a PredictedLabel column.", nameof(settings));
        Labels = labels;
        _outputs = ScoreColumns.Multiclass<float[]>(labels, p => p, settings.PredictedLabel, settings.Score);
    }

    ModernBertTextClassificationTransformer(IHostEnvironment env, SavedModelReader saved, ModernBertSequenceSettings settings)
        : this(env, settings, saved, LoadModel(saved, settings)) { }

    ModernBertTextClassificationTransformer(IHostEnvironment env, ModernBertSequenceSettings settings, SavedModelReader saved,
        (ModernBertEncoder Encoder, ModernBertForSequenceClassification Model) loaded)
        : this(env, settings, loaded.Encoder, loaded.Model, new LabelKeys(saved.ReadJson<string[]>(LabelsStream)), saved.Scoring) { }

    static VersionInfo VersionInfo() => SavedModel.Version("MBSEQCLS", 0x00010001, LoaderSignature, typeof(ModernBertTextClassificationTransformer));

    static ITransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        var saved = Open(ctx, VersionInfo());
        return new ModernBertTextClassificationTransformer(env, saved, saved.ReadJson<ModernBertSequenceSettings>(SettingsStream));
    }

    protected override VersionInfo Version => VersionInfo();

    protected override IReadOnlyList<ScoreColumn<float[]>> OutputColumns => _outputs;

    private protected override Tensor Scores(Tensor logits) => logits.softmax(-1);

    protected override void SavePayload(SavedModelWriter writer)
    {
        base.SavePayload(writer);
        writer.WriteJson(LabelsStream, Labels.Names);
    }
}
