using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetExt.Blt.Training;
using MLNetExt.Training;
using MLNetExt.Training.MLNet;

namespace MLNetExt.Blt.MLNet;

/// <summary>Options of <c>mlContext.Transforms.Text.BltBitsPerByte</c>.</summary>
public sealed record BltBitsPerByteOptions
{
    /// <summary>String (UTF-8 encoded) or Vector&lt;Byte&gt; (raw bytes).</summary>
    public string InputColumnName { get; init; } = "Text";
    /// <summary>Single: bits per byte of the row under the fitted byte LM.</summary>
    public string OutputColumnName { get; init; } = "BitsPerByte";
    /// <summary>Bytes read per row (after BOS, before EOS), in training and scoring; longer rows are cut.</summary>
    public int MaxBytes { get; init; } = 2048;
    /// <summary>Training rows: texts are cut into documents of at most this many predicted bytes and packed into rows of this length.</summary>
    public int SequenceLength { get; init; } = 512;
    /// <summary>Start (ModelPath or Preset) and schedule; <see cref="BltTrainingOptions.BatchSize"/> counts packed rows.</summary>
    public BltTrainingOptions Training { get; init; } = new();
    public ScoringOptions Scoring { get; init; } = new();
}

/// <summary>
/// Fit trains a BLT next-byte LM on the input rows (the training engine with <see cref="BltTask"/>; from a preset, or
/// fine-tuning a BLT folder with its entropy model frozen) and returns it as a bits-per-byte scorer: rows unlike the
/// training rows score high, which makes it an anomaly or novelty score fitted on normal data only.
/// </summary>
public sealed class BltBitsPerByteEstimator(IHostEnvironment env, BltBitsPerByteOptions options) : IEstimator<BltBitsPerByteTransformer>
{
    BltInput Input => new(options.InputColumnName, options.MaxBytes, AddEos: true);

    public SchemaShape GetOutputSchema(SchemaShape inputSchema) =>
        Input.OutputShape(inputSchema, [ScoreColumns.Scalar<float>(options.OutputColumnName, v => v).ToShape()]);

    public BltBitsPerByteTransformer Fit(IDataView input)
    {
        Input.Requirement.Find(input.Schema);
        Input.Validate(options.Training.Config.BytePositions);
        using var session = new TrainingSession(env, nameof(BltBitsPerByteEstimator), options.Training.Cancellation);
        var training = options.Training;
        var texts = Input.ReadAll(input);
        var batches = ByteBatches.FromIds(texts, options.SequenceLength, training.BatchSize * options.SequenceLength);
        var pretrained = training.LoadPretrained();
        var config = pretrained?.Config ?? training.Config;
        ITrainingTask<BltModel, BltBatch> task = new BltTask(config, pretrained?.EntropyModel);
        if (pretrained is not null) task = new WarmStartTask<BltModel, BltBatch>(task, pretrained.state_dict());
        session.Report($"{texts.Count} rows, {batches.Sum(ByteBatches.CountTargets):N0} bytes, {batches.Count} batches per epoch, {training.Epochs} epochs" +
            (training.ModelPath is null ? $", {training.Preset} preset from scratch" : $", fine-tuning {training.ModelPath}"));
        using var trainer = new Trainer<BltModel, BltBatch>(task, training.ToTrainerOptions(batches.Count, session));
        trainer.Fit(batches, progress: session.TrainerProgress(training.LogEvery), cancellationToken: training.Cancellation);

        // The trainer owns (and disposes) its master copy: take the weights out onto the CPU.
        var model = new BltModel(config);
        model.load_state_dict(trainer.Model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.cpu()));
        return new BltBitsPerByteTransformer(env, Input, options.OutputColumnName, model, options.Scoring);
    }
}
