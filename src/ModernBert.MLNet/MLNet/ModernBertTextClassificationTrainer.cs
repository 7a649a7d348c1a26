using Microsoft.ML;
using Microsoft.ML.Runtime;
using Microsoft.ML.Data;
using MLNetExt.Training.MLNet;

namespace MLNetExt.ModernBert.MLNet;

/// <summary>Options of <see cref="ModernBertTextClassificationTrainer"/>: columns (ML.NET's text trainers' names and defaults), pooling, and the shared training options.</summary>
public sealed record ModernBertTextClassificationOptions : ModernBertTrainerOptions
{
    /// <summary>Key or String; rows with a missing label (key 0, empty string) are skipped.</summary>
    public string LabelColumnName { get; init; } = "Label";
    public string ScoreColumnName { get; init; } = "Score";
    public string PredictedLabelColumnName { get; init; } = "PredictedLabel";
    /// <summary>String: the text to classify.</summary>
    public string Sentence1ColumnName { get; init; } = "Sentence1";
    /// <summary>A second text, for pair classification (entailment, ...); null for single texts.</summary>
    public string? Sentence2ColumnName { get; init; }
    /// <summary>"cls" or "mean"; null keeps the model config's <c>classifier_pooling</c>.</summary>
    public string? Pooling { get; init; }

    internal override void Validate()
    {
        base.Validate();
        foreach (var (option, name) in new[] { (nameof(LabelColumnName), LabelColumnName), (nameof(ScoreColumnName), ScoreColumnName),
            (nameof(PredictedLabelColumnName), PredictedLabelColumnName), (nameof(Sentence1ColumnName), Sentence1ColumnName) })
            OptionRange.NotBlank(this, option, name);
        if (Sentence2ColumnName is not null) OptionRange.NotBlank(this, nameof(Sentence2ColumnName), Sentence2ColumnName);
        ModernBertSentenceSimilarityOptions.CheckPooling(this, Pooling);
    }
}

/// <summary>
/// Fine-tunes ModernBERT to classify a text (or a text pair) into two or more classes. Input: String text
/// column(s), a Key or String label. Output: <c>PredictedLabel</c> (Key, with the classes as key values) and
/// <c>Score</c> (Vector&lt;Single&gt; of class probabilities).
/// </summary>
public sealed class ModernBertTextClassificationTrainer : IEstimator<ModernBertTextClassificationTransformer>
{
    readonly IHostEnvironment _env;
    readonly ModernBertTextClassificationOptions _options;

    /// <summary>Checks every option (throwing naming the first bad one); nothing is read or trained until Fit.</summary>
    public ModernBertTextClassificationTrainer(IHostEnvironment env, ModernBertTextClassificationOptions options)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        (_env, _options) = (env, options);
    }

    IEnumerable<ColumnRequirement> Inputs => ModernBertEncoder.TextColumns(_options.Sentence1ColumnName, _options.Sentence2ColumnName, fromOptions: true)
        .Append(ColumnRequirement.KeyOrText(_options.LabelColumnName) with { Option = nameof(_options.LabelColumnName) });

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        foreach (var column in Inputs) column.Check(inputSchema);
        var columns = inputSchema.ToDictionary(c => c.Name);
        foreach (var output in ScoreColumns.MulticlassShape(_options.PredictedLabelColumnName, _options.ScoreColumnName)) columns[output.Name] = output;
        return new SchemaShape(columns.Values);
    }

    public ModernBertTextClassificationTransformer Fit(IDataView input)
    {
        foreach (var column in Inputs) column.Find(input.Schema);
        var labels = LabelKeys.Collect(input, _options.LabelColumnName);
        var columns = new ModernBertSequenceSettings(_options.Sentence1ColumnName, _options.Sentence2ColumnName,
            _options.PredictedLabelColumnName, _options.ScoreColumnName, _options.MaxLength, _options.ScoreInBFloat16);
        var (encoder, model, settings) = ModernBertSequenceTraining.Fit(_env, nameof(ModernBertTextClassificationTrainer), _options, columns,
            _options.LabelColumnName, labels, _options.Pooling, input, row =>
            {
                var read = labels.MakeReader(row, _options.LabelColumnName);
                return () => read() is int c and >= 0 ? c : float.NaN;
            });
        return new ModernBertTextClassificationTransformer(_env, settings, encoder, model, labels, _options.Scoring);
    }
}
