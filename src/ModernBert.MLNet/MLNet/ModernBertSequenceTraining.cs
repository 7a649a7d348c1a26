using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNetExt.ModernBert.Training;
using MLNetExt.Training.MLNet;

namespace MLNetExt.ModernBert.MLNet;

/// <summary>Fit for the text classifier and the similarity regressor: read rows, fine-tune, wrap in a transformer.</summary>
static class ModernBertSequenceTraining
{
    /// <summary>
    /// Fine-tunes a sequence head with <c>labels.Count</c> outputs, or one regression output when
    /// <paramref name="labels"/> is null. <paramref name="target"/> reads a row's target (class index or value);
    /// NaN marks a missing label, and such rows are skipped.
    /// </summary>
    public static ModernBertSequenceTransformer Fit(IHostEnvironment env, string component, ModernBertTrainerOptions options,
        ModernBertSequenceSettings columns, string labelColumn, LabelKeys? labels, string? pooling,
        IDataView input, Func<DataViewRow, Func<float>> target)
    {
        using var session = new TrainingSession(env, component, options.CancellationToken);
        var (source, tokenizer) = options.Model.Resolve();
        var config = (source with
        {
            NumLabels = labels?.Count ?? 1,
            ProblemType = labels is null ? "regression" : "single_label_classification",
            ClassifierPooling = pooling ?? source.ClassifierPooling,
        }).Validate();
        var encoder = new ModernBertEncoder(config, tokenizer, options.MaxLength, options.ScoreInBFloat16);
        var settings = columns with { MaxLength = encoder.MaxLength, BFloat16 = options.ScoreInBFloat16 };

        var train = ReadBatches(input, encoder, settings, labelColumn, target, options.TokenBudget, session, "training");
        var validation = options.ValidationSet is IDataView v ? ReadBatches(v, encoder, settings, labelColumn, target, options.TokenBudget, session, "validation") : null;
        var warmed = ModernBertWarmup.Encoder(session, options, config, tokenizer, train.SelectMany(b => b.Sequences).ToArray());
        var task = new ModernBertSequenceTask(config, () => ModernBertStart.Head(options.Model, config, c => new ModernBertForSequenceClassification(c), warmed));
        var model = new ModernBertForSequenceClassification(config);
        ModernBertFineTuning.Train(session, options, "fine-tuning", options.Epochs, options.LearningRate, task, train, validation, model);
        return new ModernBertSequenceTransformer(env, settings, encoder, model, labels, options.Scoring);
    }

    /// <summary>The labelled rows as packed batches.</summary>
    static List<SequenceBatch> ReadBatches(IDataView data, ModernBertEncoder encoder, ModernBertSequenceSettings settings,
        string labelColumn, Func<DataViewRow, Func<float>> target, int tokenBudget, TrainingSession session, string what)
    {
        var columns = ModernBertEncoder.TextColumns(settings.Sentence1, settings.Sentence2).Select(c => c.Find(data.Schema)).ToList();
        columns.Add(data.Schema[labelColumn]);
        var sequences = new List<long[]>();
        var targets = new List<float>();
        int truncated = 0, skipped = 0;
        using (var cursor = data.GetRowCursor(columns))
        {
            var first = cursor.GetGetter<ReadOnlyMemory<char>>(columns[0]);
            var second = settings.Sentence2 is null ? null : cursor.GetGetter<ReadOnlyMemory<char>>(columns[1]);
            var label = target(cursor);
            ReadOnlyMemory<char> a = default, b = default;
            while (cursor.MoveNext())
            {
                float y = label();
                if (float.IsNaN(y)) { skipped++; continue; }
                first(ref a);
                second?.Invoke(ref b);
                var row = encoder.Encode(a.ToString(), second is null ? null : b.ToString());
                if (row.Truncated) truncated++;
                sequences.Add(row.Ids);
                targets.Add(y);
            }
        }
        session.Report($"{what} data: {sequences.Count} rows, {sequences.Sum(s => (long)s.Length)} tokens; {truncated} truncated to {encoder.MaxLength} tokens; {skipped} without a label skipped.");
        return SequenceBatch.Pack(sequences, targets, tokenBudget);
    }
}
