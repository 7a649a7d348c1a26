using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNetExt.Training.MLNet;
using static TorchSharp.torch;

namespace MLNetExt.ModernBert.MLNet;

/// <summary>
/// What a fitted classification or similarity model reads and writes, saved as <c>Settings.json</c>.
/// <see cref="PredictedLabel"/> is null for a similarity (regression) model, whose <see cref="Score"/> is one float.
/// </summary>
public sealed record ModernBertSequenceSettings(string Sentence1, string? Sentence2, string? PredictedLabel, string Score, int MaxLength, bool BFloat16);

/// <summary>
/// Base of the models that score one text or a text pair with a fine-tuned <see cref="ModernBertForSequenceClassification"/>,
/// one packed forward per batch: <see cref="ModernBertTextClassificationTransformer"/> and
/// <see cref="ModernBertSentenceSimilarityTransformer"/>. Labels are never read.
/// </summary>
public abstract class ModernBertSequenceTransformer : ScoringTransformer<TokenizedRow, float[]>
{
    private protected const string SettingsStream = "Settings.json";

    private protected ModernBertSequenceSettings Settings { get; }
    public ModernBertEncoder Encoder { get; }
    public ModernBertForSequenceClassification Model { get; }

    private protected ModernBertSequenceTransformer(IHostEnvironment env, string name, ModernBertSequenceSettings settings, ModernBertEncoder encoder,
        ModernBertForSequenceClassification model, ScoringOptions scoring)
        : base(env, name, scoring)
    {
        (Settings, Encoder) = (settings, encoder);
        Model = encoder.Prepare(model);
    }

    private protected static (ModernBertEncoder Encoder, ModernBertForSequenceClassification Model) LoadModel(SavedModelReader saved, ModernBertSequenceSettings settings) =>
        ModernBertEncoder.Load(saved, settings.MaxLength, settings.BFloat16, c => new ModernBertForSequenceClassification(c));

    /// <summary>Writes the fine-tuned model as a Hugging Face folder (config.json, model.safetensors, tokenizer.json).</summary>
    public void SaveAsHuggingFace(string folder)
    {
        ModernBertCheckpoint.Save(Model, folder);
        Encoder.Tokenizer.Save(Path.Combine(folder, ModernBertSource.TokenizerFile));
    }

    /// <summary>The outputs of a batch's logits [B, num_labels] (e.g. class probabilities).</summary>
    private protected abstract Tensor Scores(Tensor logits);

    protected override IReadOnlyList<ColumnRequirement> InputColumns => ModernBertEncoder.TextColumns(Settings.Sentence1, Settings.Sentence2);

    protected override Func<TokenizedRow> MakeItemReader(DataViewRow input) => Encoder.Reader(input, Settings.Sentence1, Settings.Sentence2);

    protected override int Cost(TokenizedRow item) => item.Ids.Length;

    protected override float[][] ScoreBatch(IReadOnlyList<TokenizedRow> items)
    {
        Encoder.ReportTruncation(Host, items.Count(i => i.Truncated));
        using var scope = NewDisposeScope();
        var scores = Scores(Encoder.Forward(items.Select(i => i.Ids).ToArray(), input => Model.call(input)));   // [B, outputs]
        return ModernBertEncoder.Rows(scores);
    }

    protected override void SavePayload(SavedModelWriter writer)
    {
        Encoder.Save(writer, Model, nameof(ModernBertForSequenceClassification));
        writer.WriteJson(SettingsStream, Settings);
    }
}
