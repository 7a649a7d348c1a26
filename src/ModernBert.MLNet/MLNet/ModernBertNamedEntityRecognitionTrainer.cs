using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetExt.ModernBert.Training;
using MLNetExt.Training.MLNet;
using MLNetExt.Training.Objectives;

namespace MLNetExt.ModernBert.MLNet;

/// <summary>Options of <see cref="ModernBertNamedEntityRecognitionTrainer"/>: columns and the shared training options.</summary>
public sealed record ModernBertNamedEntityRecognitionOptions : ModernBertTrainerOptions
{
    /// <summary>Vector of Key: one tag per whitespace-separated word of the sentence (key 0 = no loss for that word).</summary>
    public string LabelColumnName { get; init; } = "Label";
    public string Sentence1ColumnName { get; init; } = "Sentence";
    public string PredictedLabelColumnName { get; init; } = "PredictedLabel";
}

/// <summary>
/// Fine-tunes ModernBERT to tag each word of a text (named entities, parts of speech, ...). Input: a String
/// sentence and a Vector&lt;Key&gt; label with one tag per whitespace-separated word (e.g. from <c>MapValueToKey</c>
/// over a string vector). Output: <c>PredictedLabel</c>, a vector of keys, one per word.
/// </summary>
public sealed class ModernBertNamedEntityRecognitionTrainer(IHostEnvironment env, ModernBertNamedEntityRecognitionOptions options)
    : IEstimator<ModernBertNamedEntityRecognitionTransformer>
{
    ColumnRequirement Sentence => ColumnRequirement.Text(options.Sentence1ColumnName);
    ColumnRequirement Label => new(options.LabelColumnName, "Vector<Key>", (_, isKey, isVector) => isKey && isVector);

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        Sentence.Check(inputSchema);
        Label.Check(inputSchema);
        var columns = inputSchema.ToDictionary(c => c.Name);
        columns[options.PredictedLabelColumnName] = new SchemaShape.Column(options.PredictedLabelColumnName,
            SchemaShape.Column.VectorKind.VariableVector, NumberDataViewType.UInt32, isKey: true);
        return new SchemaShape(columns.Values);
    }

    public ModernBertNamedEntityRecognitionTransformer Fit(IDataView input)
    {
        var sentence = Sentence.Find(input.Schema);
        var labels = LabelKeys.FromKeys(Label.Find(input.Schema));
        using var session = new TrainingSession(env, nameof(ModernBertNamedEntityRecognitionTrainer), options.CancellationToken);
        var (source, tokenizer) = options.Model.Resolve();
        var config = (source with { NumLabels = labels.Count }).Validate();
        var encoder = new ModernBertEncoder(config, tokenizer, options.MaxLength, options.ScoreInBFloat16);

        var train = ReadBatches(input, encoder, "training", session);
        var validation = options.ValidationSet is IDataView v ? ReadBatches(v, encoder, "validation", session) : null;
        var warmed = ModernBertWarmup.Encoder(session, options, config, tokenizer, train.SelectMany(b => b.Sequences).ToArray());
        var task = new ModernBertTokenTask(config, () => ModernBertStart.Head(options.Model, config, c => new ModernBertForTokenClassification(c), warmed));
        var model = new ModernBertForTokenClassification(config);
        ModernBertFineTuning.Train(session, options, "fine-tuning", options.Epochs, options.LearningRate, task, train, validation, model);
        var settings = new ModernBertNerSettings(options.Sentence1ColumnName, options.PredictedLabelColumnName, encoder.MaxLength, options.ScoreInBFloat16);
        return new ModernBertNamedEntityRecognitionTransformer(env, settings, encoder, model, labels, options.Scoring);
    }

    /// <summary>Rows as packed batches with the tag on each word's first token (no loss elsewhere).</summary>
    List<TokenBatch> ReadBatches(IDataView data, ModernBertEncoder encoder, string what, TrainingSession session)
    {
        var sentence = Sentence.Find(data.Schema);
        var label = Label.Find(data.Schema);
        var sequences = new List<long[]>();
        var targets = new List<long[]>();
        int truncated = 0;
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
            }
        }
        session.Report($"{what} data: {sequences.Count} rows, {sequences.Sum(s => (long)s.Length)} tokens; {truncated} truncated to {encoder.MaxLength} tokens.");
        return TokenBatch.Pack(sequences, targets, options.TokenBudget);
    }
}
