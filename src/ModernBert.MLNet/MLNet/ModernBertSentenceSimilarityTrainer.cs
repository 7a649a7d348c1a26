using Microsoft.ML;
using Microsoft.ML.Runtime;
using Microsoft.ML.Data;
using MLNetExt.Training.MLNet;

namespace MLNetExt.ModernBert.MLNet;

/// <summary>Options of <see cref="ModernBertSentenceSimilarityTrainer"/>: columns, pooling, and the shared training options.</summary>
public sealed record ModernBertSentenceSimilarityOptions : ModernBertTrainerOptions
{
    /// <summary>Single: the pair's similarity (any scale, e.g. 0-5); NaN rows are skipped.</summary>
    public string LabelColumnName { get; init; } = "Label";
    public string Sentence1ColumnName { get; init; } = "Sentence1";
    public string Sentence2ColumnName { get; init; } = "Sentence2";
    public string ScoreColumnName { get; init; } = "Score";
    /// <summary>"cls" or "mean"; null keeps the model config's <c>classifier_pooling</c>.</summary>
    public string? Pooling { get; init; }
}

/// <summary>
/// Fine-tunes ModernBERT as a cross-encoder that scores how similar two texts are (regression on
/// <c>[CLS] a [SEP] b [SEP]</c>). Input: two String columns and a Single label. Output: <c>Score</c> (Single).
/// </summary>
public sealed class ModernBertSentenceSimilarityTrainer(IHostEnvironment env, ModernBertSentenceSimilarityOptions options)
    : IEstimator<ModernBertSequenceTransformer>
{
    IEnumerable<ColumnRequirement> Inputs =>
        ModernBertEncoder.TextColumns(options.Sentence1ColumnName, options.Sentence2ColumnName).Append(ColumnRequirement.Single(options.LabelColumnName));

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        foreach (var column in Inputs) column.Check(inputSchema);
        var columns = inputSchema.ToDictionary(c => c.Name);
        var score = ScoreColumns.Scalar<float>(options.ScoreColumnName, v => v, AnnotationUtils.Const.ScoreColumnKind.Regression).ToShape();
        columns[score.Name] = score;
        return new SchemaShape(columns.Values);
    }

    public ModernBertSequenceTransformer Fit(IDataView input)
    {
        foreach (var column in Inputs) column.Find(input.Schema);
        var columns = new ModernBertSequenceSettings(options.Sentence1ColumnName, options.Sentence2ColumnName, null, options.ScoreColumnName,
            options.MaxLength, options.ScoreInBFloat16);
        return ModernBertSequenceTraining.Fit(env, nameof(ModernBertSentenceSimilarityTrainer), options, columns, options.LabelColumnName, null,
            options.Pooling, input, row =>
            {
                var get = row.GetGetter<float>(row.Schema[options.LabelColumnName]);
                float value = 0;
                return () => { get(ref value); return value; };
            });
    }
}
