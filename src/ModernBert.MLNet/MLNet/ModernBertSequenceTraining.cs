using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNetExt.ModernBert.Training;
using MLNetExt.Training.MLNet;

namespace MLNetExt.ModernBert.MLNet;

/// <summary>Fit for the text classifier and the similarity regressor: read rows, warm up, fine-tune.</summary>
static class ModernBertSequenceTraining
{
    /// <summary>
    /// Fine-tunes a sequence head with <c>labels.Count</c> outputs, or one regression output when
    /// <paramref name="labels"/> is null. <paramref name="target"/> reads a row's target (class index or value);
    /// NaN marks a missing label, and such rows are skipped. Returns the scoring encoder, the model and the
    /// settings the transformer saves.
    /// </summary>
    public static (ModernBertEncoder Encoder, ModernBertForSequenceClassification Model, ModernBertSequenceSettings Settings) Fit(
        IHostEnvironment env, string component, ModernBertTrainerOptions options, ModernBertSequenceSettings columns, string labelColumn,
        LabelKeys? labels, string? pooling, IDataView input, Func<DataViewRow, Func<float>> target)
    {
        using var session = new TrainingSession(env, component, options);
        var (source, tokenizer) = options.Model.Resolve();
        var config = (source with
        {
            NumLabels = labels?.Count ?? 1,
            ProblemType = labels is null ? "regression" : "single_label_classification",
            ClassifierPooling = pooling ?? source.ClassifierPooling,
        }).Validate();
        var encoder = new ModernBertEncoder(config, tokenizer, options.MaxLength, options.ScoreInBFloat16);
        var settings = columns with { MaxLength = encoder.MaxLength, BFloat16 = options.ScoreInBFloat16 };

        var (train, data) = ReadBatches(input, encoder, settings, labelColumn, target, options.TokenBudget, session, "training");
        if (train.Count == 0) throw new ArgumentException($"Column '{labelColumn}' has no labelled rows to train on.", nameof(input));
        var (validation, validationData) = options.ValidationSet is IDataView v
            ? ReadBatches(v, encoder, settings, labelColumn, target, options.TokenBudget, session, "validation") : (null, null);
        string task = labels is null ? $"{component}, regression" : $"{component}, classes {string.Join(", ", labels.Names)}";
        var fingerprint = ModernBertStart.Fingerprint(task, options, config, data, validationData);
        var warmed = ModernBertWarmup.Run(session, options, config, tokenizer, train.SelectMany(b => b.Sequences).ToArray(), fingerprint);
        var fineTuning = new ModernBertSequenceTask(config, () => ModernBertStart.Head(options.Model, config, c => new ModernBertForSequenceClassification(c), warmed?.Model));
        var phase = new TrainingPhase("fine-tuning", TrainingPhase.TrainingFolder, options.Epochs, options.LearningRate, fingerprint);
        var model = session.Train(phase, fineTuning, train, validation, () => new ModernBertForSequenceClassification(config), warmed);
        return (encoder, model, settings);
    }

    /// <summary>The labelled rows as packed batches, and their fingerprint.</summary>
    static (List<SequenceBatch> Batches, string Fingerprint) ReadBatches(IDataView data, ModernBertEncoder encoder, ModernBertSequenceSettings settings,
        string labelColumn, Func<DataViewRow, Func<float>> target, int tokenBudget, TrainingSession session, string what)
    {
        var columns = ModernBertEncoder.TextColumns(settings.Sentence1, settings.Sentence2).Select(c => c.Find(data.Schema)).ToList();
        columns.Add(data.Schema[labelColumn]);
        var sequences = new List<long[]>();
        var targets = new List<float>();
        int truncated = 0, skipped = 0;
        using var fingerprint = new DataFingerprint();
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
                fingerprint.Add(row.Ids, y);
            }
        }
        session.Report($"{what} data: {sequences.Count} rows, {sequences.Sum(s => (long)s.Length)} tokens; {truncated} truncated to {encoder.MaxLength} tokens; {skipped} without a label skipped.");
        return (SequenceBatch.Pack(sequences, targets, tokenBudget), fingerprint.ToString());
    }
}
