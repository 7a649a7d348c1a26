using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetExt.ModernBert.Training;
using MLNetExt.Training.MLNet;
using MLNetExt.Training.Objectives;

namespace MLNetExt.ModernBert.MLNet;

/// <summary>Options of <see cref="ModernBertNamedEntityRecognitionTrainer"/>: columns (ML.NET's text trainers' names and defaults) and the shared training options.</summary>
public sealed record ModernBertNamedEntityRecognitionOptions : ModernBertTrainerOptions
{
    /// <summary>Vector of Key: one tag per whitespace-separated word of the sentence (key 0 = no loss for that word).</summary>
    public string LabelColumnName { get; init; } = "Label";
    public string PredictedLabelColumnName { get; init; } = "PredictedLabel";
    /// <summary>String: the sentence whose words are tagged.</summary>
    public string Sentence1ColumnName { get; init; } = "Sentence";

    internal override void Validate()
    {
        base.Validate();
        foreach (var (option, name) in new[] { (nameof(LabelColumnName), LabelColumnName), (nameof(PredictedLabelColumnName), PredictedLabelColumnName),
            (nameof(Sentence1ColumnName), Sentence1ColumnName) })
            OptionRange.NotBlank(this, option, name);
    }
}

/// <summary>
/// Fine-tunes ModernBERT to tag each word of a text (named entities, parts of speech, ...). Input: a String
/// sentence and a Vector&lt;Key&gt; label with one tag per whitespace-separated word (e.g. from <c>MapValueToKey</c>
/// over a string vector). Output: <c>PredictedLabel</c>, a vector of keys, one per word.
/// </summary>
public sealed class ModernBertNamedEntityRecognitionTrainer : IEstimator<ModernBertNamedEntityRecognitionTransformer>
{
    readonly IHostEnvironment _env;
    readonly ModernBertNamedEntityRecognitionOptions _options;

    /// <summary>Checks every option (throwing naming the first bad one); nothing is read or trained until Fit.</summary>
    public ModernBertNamedEntityRecognitionTrainer(IHostEnvironment env, ModernBertNamedEntityRecognitionOptions options)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        (_env, _options) = (env, options);
    }

    ColumnRequirement Sentence => ColumnRequirement.Text(_options.Sentence1ColumnName) with { Option = nameof(_options.Sentence1ColumnName) };
    ColumnRequirement Label => new(_options.LabelColumnName, "Vector<Key>", (_, isKey, isVector) => isKey && isVector) { Option = nameof(_options.LabelColumnName) };

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        Sentence.Check(inputSchema);
        Label.Check(inputSchema);
        var columns = inputSchema.ToDictionary(c => c.Name);
        columns[_options.PredictedLabelColumnName] = new SchemaShape.Column(_options.PredictedLabelColumnName,
            SchemaShape.Column.VectorKind.VariableVector, NumberDataViewType.UInt32, isKey: true);
        return new SchemaShape(columns.Values);
    }

    public ModernBertNamedEntityRecognitionTransformer Fit(IDataView input)
    {
        Sentence.Find(input.Schema);
        var labels = LabelKeys.FromKeys(Label.Find(input.Schema));
        using var session = new TrainingSession(_env, nameof(ModernBertNamedEntityRecognitionTrainer), _options);
        var (source, tokenizer) = _options.Model.Resolve();
        var config = (source with { NumLabels = labels.Count }).Validate();
        var encoder = new ModernBertEncoder(config, tokenizer, _options.MaxLength, _options.ScoreInBFloat16);

        var (train, data) = ReadBatches(input, encoder, "training", session);
        if (train.Count == 0) throw new ArgumentException("The training data has no rows.", nameof(input));
        var (validation, validationData) = _options.ValidationSet is IDataView v ? ReadBatches(v, encoder, "validation", session) : (null, null);
        var fingerprint = ModernBertStart.Fingerprint($"{nameof(ModernBertNamedEntityRecognitionTrainer)}, tags {string.Join(", ", labels.Names)}",
            _options, config, data, validationData);
        var warmed = ModernBertWarmup.Run(session, _options, config, tokenizer, train.SelectMany(b => b.Sequences).ToArray(), fingerprint);
        var task = new ModernBertTokenTask(config, () => ModernBertStart.Head(_options.Model, config, c => new ModernBertForTokenClassification(c), warmed?.Model));
        var phase = new TrainingPhase("fine-tuning", TrainingPhase.TrainingFolder, _options.Epochs, _options.LearningRate, fingerprint);
        var model = session.Train(phase, task, train, validation, () => new ModernBertForTokenClassification(config), warmed);
        var settings = new ModernBertNerSettings(_options.Sentence1ColumnName, _options.PredictedLabelColumnName, encoder.MaxLength, _options.ScoreInBFloat16);
        return new ModernBertNamedEntityRecognitionTransformer(_env, settings, encoder, model, labels, _options.Scoring);
    }

    /// <summary>Rows as packed batches with the tag on each word's first token (no loss elsewhere).</summary>
    (List<TokenBatch> Batches, string Fingerprint) ReadBatches(IDataView data, ModernBertEncoder encoder, string what, TrainingSession session)
    {
        var sentence = Sentence.Find(data.Schema);
        var label = Label.Find(data.Schema);
        var sequences = new List<long[]>();
        var targets = new List<long[]>();
        int truncated = 0;
        using var fingerprint = new DataFingerprint();
        using (var cursor = data.GetRowCursor(new[] { sentence, label }))
        {
            var getText = cursor.GetGetter<ReadOnlyMemory<char>>(sentence);
            var getTags = cursor.GetGetter<VBuffer<uint>>(label);
            ReadOnlyMemory<char> text = default;
            VBuffer<uint> tags = default;
            while (cursor.MoveNext())
            {
                getText(ref text);
                getTags(ref tags);
                var words = encoder.EncodeWords(text.ToString());
                if (tags.Length != words.Words)
                    throw new InvalidDataException($"Row {cursor.Position}: column '{label.Name}' has {tags.Length} tags but column '{sentence.Name}' has {words.Words} words.");
                if (words.Truncated) truncated++;
                var perToken = Enumerable.Repeat(MlmMasking.IgnoreIndex, words.Ids.Length).ToArray();
                var dense = tags.DenseValues().ToArray();
                for (int w = 0; w < words.WordStarts.Length; w++)
                    if (dense[w] != 0) perToken[words.WordStarts[w]] = dense[w] - 1;
                sequences.Add(words.Ids);
                targets.Add(perToken);
                fingerprint.Add<long>(words.Ids, perToken);
            }
        }
        session.Report($"{what} data: {sequences.Count} rows, {sequences.Sum(s => (long)s.Length)} tokens; {truncated} truncated to {encoder.MaxLength} tokens.");
        return (TokenBatch.Pack(sequences, targets, _options.TokenBudget), fingerprint.ToString());
    }
}
