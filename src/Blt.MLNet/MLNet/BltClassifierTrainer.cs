using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetExt.Blt.Training;
using MLNetExt.Training;
using MLNetExt.Training.MLNet;
using static TorchSharp.torch;

namespace MLNetExt.Blt.MLNet;

/// <summary>
/// Trains a <see cref="BltForSequenceClassification"/> with the training engine (<see cref="Trainer{TModel, TBatch}"/>
/// running <see cref="BltClassificationTask"/>): fine-tuned from a BLT folder or trained from a preset, on the devices,
/// precision and checkpoint directory of <see cref="BltClassifierOptions.Training"/>. Progress goes to MLContext.Log;
/// <c>MLContext.CancelExecution()</c> or the options' token stops it.
/// </summary>
public sealed class BltClassifierTrainer(IHostEnvironment env, BltClassifierOptions options) : IEstimator<BltClassifierTransformer>
{
    BltInput Input => new(options.Sentence1ColumnName, options.MaxBytes, AddEos: false);

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ColumnRequirement.KeyOrText(options.LabelColumnName).Check(inputSchema);
        return Input.OutputShape(inputSchema, ScoreColumns.MulticlassShape(options.PredictedLabelColumnName, options.ScoreColumnName));
    }

    public BltClassifierTransformer Fit(IDataView input)
    {
        var text = Input.Requirement.Find(input.Schema);
        Input.Validate(options.Training.Config.BytePositions);
        var label = ColumnRequirement.KeyOrText(options.LabelColumnName).Find(input.Schema);
        using var session = new TrainingSession(env, nameof(BltClassifierTrainer), options.Training.Cancellation);
        var labels = LabelKeys.Collect(input, options.LabelColumnName);
        var (documents, classes) = ReadRows(input, text, label, labels);
        if (documents.Count == 0) throw new ArgumentException($"Column '{options.LabelColumnName}' has no labelled rows to train on.", nameof(input));

        var training = options.Training;
        var task = new BltClassificationTask(training.Config, labels.Count, training.LoadPretrained());
        if (options.BatchBytes < 1) throw new ArgumentOutOfRangeException(nameof(options), options.BatchBytes, "BltClassifierOptions.BatchBytes must be positive.");
        var batches = BltClassificationBatch.Chunk(documents, classes, training.BatchSize, options.BatchBytes);
        session.Report($"{documents.Count} rows, {labels.Count} classes, {batches.Count} batches per epoch, {training.Epochs} epochs" +
            (training.ModelPath is null ? $", {training.Preset} preset from scratch" : $", fine-tuning {training.ModelPath}"));
        using var trainer = new Trainer<BltForSequenceClassification, BltClassificationBatch>(task, training.ToTrainerOptions(batches.Count, session));
        trainer.Fit(batches, progress: session.TrainerProgress(training.LogEvery), cancellationToken: training.Cancellation);

        // The trainer owns (and disposes) its master copy: take the weights out onto the CPU.
        var model = new BltForSequenceClassification(training.Config, labels.Count);
        model.load_state_dict(trainer.Model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.cpu()));
        var columns = new BltClassifierColumns(options.PredictedLabelColumnName, options.ScoreColumnName);
        return new BltClassifierTransformer(env, Input, columns, labels, model, options.Scoring);
    }

    (List<long[]> Documents, List<long> Classes) ReadRows(IDataView input, DataViewSchema.Column text, DataViewSchema.Column label, LabelKeys labels)
    {
        var documents = new List<long[]>();
        var classes = new List<long>();
        using var cursor = input.GetRowCursor([text, label]);
        var readText = Input.MakeReader(cursor);
        var readClass = labels.MakeReader(cursor, label.Name);
        while (cursor.MoveNext())
        {
            int cls = readClass();
            if (cls < 0) continue;  // missing label
            documents.Add(readText());
            classes.Add(cls);
        }
        return (documents, classes);
    }
}
