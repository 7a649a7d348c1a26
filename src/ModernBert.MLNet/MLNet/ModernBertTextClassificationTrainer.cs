using Microsoft.ML;
using Microsoft.ML.Runtime;
using Microsoft.ML.Data;
using MLNetExt.Training.MLNet;

namespace MLNetExt.ModernBert.MLNet;

/// <summary>Options of <see cref="ModernBertTextClassificationTrainer"/>: columns, pooling, and the shared training options.</summary>
public sealed record ModernBertTextClassificationOptions : ModernBertTrainerOptions
{
    /// <summary>Key or String; rows with a missing label (key 0, empty string) are skipped.</summary>
    public string LabelColumnName { get; init; } = "Label";
    public string Sentence1ColumnName { get; init; } = "Text";
    /// <summary>A second text, for pair classification (entailment, ...); null for single texts.</summary>
    public string? Sentence2ColumnName { get; init; }
    public string PredictedLabelColumnName { get; init; } = "PredictedLabel";
    public string ScoreColumnName { get; init; } = "Score";
    /// <summary>"cls" or "mean"; null keeps the model config's <c>classifier_pooling</c>.</summary>
    public string? Pooling { get; init; }
}

/// <summary>
/// Fine-tunes ModernBERT to classify a text (or a text pair) into two or more classes. Input: String text
/// column(s), a Key or String label. Output: <c>PredictedLabel</c> (Key, with the classes as key values) and
/// <c>Score</c> (Vector&lt;Single&gt; of class probabilities).
/// </summary>
public sealed class ModernBertTextClassificationTrainer(IHostEnvironment env, ModernBertTextClassificationOptions options)
    : IEstimator<ModernBertSequenceTransformer>
{
    IEnumerable<ColumnRequirement> Inputs =>
        ModernBertEncoder.TextColumns(options.Sentence1ColumnName, options.Sentence2ColumnName).Append(ColumnRequirement.KeyOrText(options.LabelColumnName));

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        foreach (var column in Inputs) column.Check(inputSchema);
        var columns = inputSchema.ToDictionary(c => c.Name);
        foreach (var output in ScoreColumns.MulticlassShape(options.PredictedLabelColumnName, options.ScoreColumnName)) columns[output.Name] = output;
        return new SchemaShape(columns.Values);
    }

    public ModernBertSequenceTransformer Fit(IDataView input)
    {
        foreach (var column in Inputs) column.Find(input.Schema);
        var labels = LabelKeys.Collect(input, options.LabelColumnName);
        var columns = new ModernBertSequenceSettings(options.Sentence1ColumnName, options.Sentence2ColumnName,
            options.PredictedLabelColumnName, options.ScoreColumnName, options.MaxLength, options.ScoreInBFloat16);
        return ModernBertSequenceTraining.Fit(env, nameof(ModernBertTextClassificationTrainer), options, columns, options.LabelColumnName, labels,
            options.Pooling, input, row =>
            {
                var read = labels.MakeReader(row, options.LabelColumnName);
                return () => read() is int c and >= 0 ? c : float.NaN;
            });
    }
}
