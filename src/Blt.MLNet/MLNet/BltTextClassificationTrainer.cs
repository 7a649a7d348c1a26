using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetExt.Blt.Training;
using MLNetExt.Training.MLNet;

namespace MLNetExt.Blt.MLNet;

/// <summary>
/// Trains a <see cref="BltForSequenceClassification"/> with the training engine (<see cref="BltClassificationTask"/>):
/// fine-tuned from a BLT folder or trained from a preset, with the shared training options (devices, precision,
/// validation, checkpoints, progress, cancellation). Input: a String or Vector&lt;Byte&gt; text, a Key or String
/// label. Output: <c>PredictedLabel</c> (Key) and <c>Score</c> (class probabilities).
/// </summary>
public sealed class BltTextClassificationTrainer : IEstimator<BltTextClassificationTransformer>
{
    readonly IHostEnvironment _env;
    readonly BltTextClassificationOptions _options;

    /// <summary>Checks every option (throwing naming the first bad one); nothing is read or trained until Fit.</summary>
    public BltTextClassificationTrainer(IHostEnvironment env, BltTextClassificationOptions options)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        (_env, _options) = (env, options);
    }

    BltInput Input => new(_options.Sentence1ColumnName, _options.MaxBytes, AddEos: false);
    ColumnRequirement Text => Input.Requirement with { Option = nameof(_options.Sentence1ColumnName) };
    ColumnRequirement Label => ColumnRequirement.KeyOrText(_options.LabelColumnName) with { Option = nameof(_options.LabelColumnName) };

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        Text.Check(inputSchema);
        Label.Check(inputSchema);
        return Input.OutputShape(inputSchema, ScoreColumns.MulticlassShape(_options.PredictedLabelColumnName, _options.ScoreColumnName));
    }

    public BltTextClassificationTransformer Fit(IDataView input)
    {
        Text.Find(input.Schema);
        Label.Find(input.Schema);
        var config = _options.Model.Resolve();
        Input.Validate(config.BytePositions);
        using var session = new TrainingSession(_env, nameof(BltTextClassificationTrainer), _options);
        var labels = LabelKeys.Collect(input, _options.LabelColumnName);
        var (train, data) = ReadBatches(input, labels, "training", session);
        if (train.Count == 0) throw new ArgumentException($"Column '{_options.LabelColumnName}' has no labelled rows to train on.", nameof(input));
        var (validation, validationData) = _options.ValidationSet is IDataView v ? ReadBatches(v, labels, "validation", session) : (null, null);
        var fingerprint = _options.Fingerprint($"{nameof(BltTextClassificationTrainer)}, classes {string.Join(", ", labels.Names)}", config, data, validationData);

        var pretrained = _options.Model.LoadPretrained();
        var task = new BltClassificationTask(config, labels.Count, pretrained);
        var phase = new TrainingPhase("training", TrainingPhase.TrainingFolder, _options.Epochs, _options.LearningRate, fingerprint);
        session.Report($"{labels.Count} classes, {_options.Model}");
        var model = session.Train(phase, task, train, validation, () => new BltForSequenceClassification(config, labels.Count), startWeights: pretrained);
        var columns = new BltTextClassificationColumns(_options.PredictedLabelColumnName, _options.ScoreColumnName);
        return new BltTextClassificationTransformer(_env, Input, columns, labels, model, _options.Scoring);
    }

    /// <summary>The labelled rows (rows without a label are skipped) in batches of BatchSize, and their fingerprint.</summary>
    (IReadOnlyList<BltClassificationBatch> Batches, string Fingerprint) ReadBatches(IDataView data, LabelKeys labels, string what, TrainingSession session)
    {
        var documents = new List<long[]>();
        var classes = new List<long>();
        using var fingerprint = new DataFingerprint();
        using (var cursor = data.GetRowCursor([Text.Find(data.Schema), Label.Find(data.Schema)]))
        {
            var readText = Input.MakeReader(cursor);
            var readClass = labels.MakeReader(cursor, _options.LabelColumnName);
            while (cursor.MoveNext())
            {
                int cls = readClass();
                if (cls < 0) continue;  // missing label
                var ids = readText();
                documents.Add(ids);
                classes.Add(cls);
                fingerprint.Add(ids, (long)cls);
            }
        }
        session.Report($"{what} data: {documents.Count} labelled rows, {documents.Sum(d => (long)d.Length)} bytes.");
        return (BltClassificationBatch.Chunk(documents, classes, _options.BatchSize, _options.BatchBytes), fingerprint.ToString());
    }
}
