using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetExt.ModernBert.MLNet;
using MLNetExt.Training.MLNet;
using static TorchSharp.torch;

[assembly: LoadableClass(typeof(ITransformer), typeof(ModernBertSentenceSimilarityTransformer), null, typeof(SignatureLoadModel),
    "ModernBERT sentence similarity", ModernBertSentenceSimilarityTransformer.LoaderSignature)]

namespace MLNetExt.ModernBert.MLNet;

/// <summary>Scores how similar two texts are with a fine-tuned cross-encoder: <c>Score</c> (Single), on the labels' scale.</summary>
public sealed class ModernBertSentenceSimilarityTransformer : ModernBertSequenceTransformer
{
    public const string LoaderSignature = "ModernBertSimilarity";

    readonly ScoreColumn<float[]>[] _outputs;

    internal ModernBertSentenceSimilarityTransformer(IHostEnvironment env, ModernBertSequenceSettings settings, ModernBertEncoder encoder,
        ModernBertForSequenceClassification model, ScoringOptions scoring)
        : base(env, nameof(ModernBertSentenceSimilarityTransformer), settings, encoder, model, scoring)
    {
        _outputs = [ScoreColumns.Scalar<float[]>(settings.Score, r => r[0], AnnotationUtils.Const.ScoreColumnKind.Regression)];
    }

    ModernBertSentenceSimilarityTransformer(IHostEnvironment env, SavedModelReader saved, ModernBertSequenceSettings settings)
        : this(env, settings, LoadModel(saved, settings), saved.Scoring) { }

    ModernBertSentenceSimilarityTransformer(IHostEnvironment env, ModernBertSequenceSettings settings,
        (ModernBertEncoder Encoder, ModernBertForSequenceClassification Model) loaded, ScoringOptions scoring)
        : this(env, settings, loaded.Encoder, loaded.Model, scoring) { }

    static VersionInfo VersionInfo() => SavedModel.Version("MBSIMREG", 0x00010001, LoaderSignature, typeof(ModernBertSentenceSimilarityTransformer));

    static ITransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        var saved = Open(ctx, VersionInfo());
        return new ModernBertSentenceSimilarityTransformer(env, saved, saved.ReadJson<ModernBertSequenceSettings>(SettingsStream));
    }

    protected override VersionInfo Version => VersionInfo();

    protected override IReadOnlyList<ScoreColumn<float[]>> OutputColumns => _outputs;

    private protected override Tensor Scores(Tensor logits) => logits;
}
