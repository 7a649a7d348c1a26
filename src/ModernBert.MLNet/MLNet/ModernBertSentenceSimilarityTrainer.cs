using Microsoft.ML;
using Microsoft.ML.Runtime;
using Microsoft.ML.Data;
using MLNetExt.Training.MLNet;

namespace MLNetExt.ModernBert.MLNet;

/// <summary>Options of <see cref="ModernBertSentenceSimilarityTrainer"/>: columns (ML.NET's text trainers' names and defaults), pooling, and the shared training options.</summary>
public sealed record ModernBertSentenceSimilarityOptions : ModernBertTrainerOptions
{
    /// <summary>Single: the pair's similarity (any scale, e.g. 0-5); NaN rows are skipped.</summary>
    public string LabelColumnName { get; init; } = "Label";
    public string ScoreColumnName { get; init; } = "Score";
    public string Sentence1ColumnName { get; init; } = "Sentence1";
    public string Sentence2ColumnName { get; init; } = "Sentence2";
    /// <summary>"cls" or "mean"; null keeps the model config's <c>classifier_pooling</c>.</summary>
    public string? Pooling { get; init; }

    internal override void Validate()
    {
        base.Validate();
        foreach (var (option, name) in new[] { (nameof(LabelColumnName), LabelColumnName), (nameof(ScoreColumnName), ScoreColumnName),
            (nameof(Sentence1ColumnName), Sentence1ColumnName), (nameof(Sentence2ColumnName), Sentence2ColumnName) })
            OptionRange.NotBlank(this, option, name);
        CheckPooling(this, Pooling);
    }

    internal static void CheckPooling(object owner, string? pooling)
    {
        if (pooling is not (null or "cls" or "mean")) throw OptionRange.Fail(owner, nameof(Pooling), pooling, "\"cls\", \"mean\" or null");
    }
}

/// <summary>
/// Fine-tunes ModernBERT as a cross-encoder that scores how similar two texts are (regression on
/// <c>[CLS] a [SEP] b [SEP]</c>). Input: two String columns and a Single label. Output: <c>Score</c> (Single).
/// </summary>
public sealed class ModernBertSentenceSimilarityTrainer : IEstimator<ModernBertSentenceSimilarityTransformer>
{
    readonly IHostEnvironment _env;
    readonly ModernBertSentenceSimilarityOptions _options;

    /// <summary>Checks every option (throwing naming the first bad one); nothing is read or trained until Fit.</summary>
    public ModernBertSentenceSimilarityTrainer(IHostEnvironment env, ModernBertSentenceSimilarityOptions options)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        (_env, _options) = (env, options);
    }

    IEnumerable<ColumnRequirement> Inputs => ModernBertEncoder.TextColumns(_options.Sentence1ColumnName, _options.Sentence2ColumnName, fromOptions: true)
        .Append(ColumnRequirement.Single(_options.LabelColumnName) with { Option = nameof(_options.LabelColumnName) });

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        foreach (var column in Inputs) column.Check(inputSchema);
        var columns = inputSchema.ToDictionary(c => c.Name);
        var score = ScoreColumns.Scalar<float>(_options.ScoreColumnName, v => v, AnnotationUtils.Const.ScoreColumnKind.Regression).ToShape();
        columns[score.Name] = score;
        return new SchemaShape(columns.Values);
    }

    public ModernBertSentenceSimilarityTransformer Fit(IDataView input)
    {
        foreach (var column in Inputs) column.Find(input.Schema);
        var columns = new ModernBertSequenceSettings(_options.Sentence1ColumnName, _options.Sentence2ColumnName, null, _options.ScoreColumnName,
            _options.MaxLength, _options.ScoreInBFloat16);
        var (encoder, model, settings) = ModernBertSequenceTraining.Fit(_env, nameof(ModernBertSentenceSimilarityTrainer), _options, columns,
            _options.LabelColumnName, null, _options.Pooling, input, row =>
            {
                var get = row.GetGetter<float>(row.Schema[_options.LabelColumnName]);
                float value = 0;
                return () => { get(ref value); return value; };
            });
        return new ModernBertSentenceSimilarityTransformer(_env, settings, encoder, model, _options.Scoring);
    }
}
