using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetExt.Blt.Training;
using MLNetExt.Training;
using MLNetExt.Training.MLNet;

namespace MLNetExt.Blt.MLNet;

/// <summary>Options of <c>mlContext.Transforms.Text.BltBitsPerByte</c>: columns, input bytes, and the shared training options.</summary>
public sealed record BltBitsPerByteOptions : BltTrainerOptions
{
    /// <summary>String (UTF-8 encoded) or Vector&lt;Byte&gt; (raw bytes).</summary>
    public string InputColumnName { get; init; } = "Text";
    /// <summary>Single: bits per byte of the row under the fitted byte LM.</summary>
    public string OutputColumnName { get; init; } = "BitsPerByte";
    /// <summary>Bytes read per row (after BOS, before EOS), in training and scoring; longer rows are cut. At least 1, within the model's byte positions.</summary>
    public int MaxBytes { get; init; } = 2048;
    /// <summary>Training rows: texts are cut into documents of at most this many predicted bytes and packed into rows of this length (at least 2).</summary>
    public int SequenceLength { get; init; } = 512;

    internal override void Validate()
    {
        base.Validate();
        OptionRange.NotBlank(this, nameof(InputColumnName), InputColumnName);
        OptionRange.NotBlank(this, nameof(OutputColumnName), OutputColumnName);
        CheckMaxBytes(MaxBytes, addEos: true);
        OptionRange.AtLeast(this, nameof(SequenceLength), SequenceLength, 2);
        if ((long)SequenceLength * BatchSize > int.MaxValue)
            throw OptionRange.Conflict(this, nameof(BatchSize), $"{BatchSize} rows of SequenceLength {SequenceLength} bytes exceed {int.MaxValue} bytes per step.");
    }
}

/// <summary>
/// Fit trains a BLT next-byte LM on the input rows (the training engine with <see cref="BltTask"/>; from a preset, or
/// fine-tuning a BLT folder with its entropy model frozen) and returns it as a bits-per-byte scorer: rows unlike the
/// training rows score high, which makes it an anomaly or novelty score fitted on normal data only.
/// </summary>
public sealed class BltBitsPerByteEstimator : IEstimator<BltBitsPerByteTransformer>
{
    readonly IHostEnvironment _env;
    readonly BltBitsPerByteOptions _options;

    /// <summary>Checks every option (throwing naming the first bad one); nothing is read or trained until Fit.</summary>
    public BltBitsPerByteEstimator(IHostEnvironment env, BltBitsPerByteOptions options)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        (_env, _options) = (env, options);
    }

    BltInput Input => new(_options.InputColumnName, _options.MaxBytes, AddEos: true);
    ColumnRequirement Text => Input.Requirement with { Option = nameof(_options.InputColumnName) };

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        Text.Check(inputSchema);
        return Input.OutputShape(inputSchema, [ScoreColumns.Scalar<float>(_options.OutputColumnName, v => v).ToShape()]);
    }

    public BltBitsPerByteTransformer Fit(IDataView input)
    {
        Text.Find(input.Schema);
        var config = _options.Model.Resolve();
        Input.Validate(config.BytePositions);
        using var session = new TrainingSession(_env, nameof(BltBitsPerByteEstimator), _options);
        var (train, data) = ReadBatches(input, "training", session);
        var (validation, validationData) = _options.ValidationSet is IDataView v ? ReadBatches(v, "validation", session) : (null, null);
        var fingerprint = _options.Fingerprint(nameof(BltBitsPerByteEstimator), config, data, validationData);

        // The pretrained model only seeds the replicas: the session disposes it once they hold its weights.
        var pretrained = _options.Model.LoadPretrained();
        ITrainingTask<BltModel, BltBatch> task = new BltTask(config, pretrained?.EntropyModel);
        if (pretrained is not null) task = new WarmStartTask<BltModel, BltBatch>(task, pretrained.state_dict());
        var phase = new TrainingPhase("training", TrainingPhase.TrainingFolder, _options.Epochs, _options.LearningRate, fingerprint);
        session.Report(_options.Model.ToString());
        var model = session.Train(phase, task, train, validation, () => new BltModel(config), startWeights: pretrained);
        return new BltBitsPerByteTransformer(_env, Input, _options.OutputColumnName, model, _options.Scoring);
    }

    /// <summary>Every row's bytes cut and packed into training rows, and their fingerprint.</summary>
    (IReadOnlyList<BltBatch> Batches, string Fingerprint) ReadBatches(IDataView data, string what, TrainingSession session)
    {
        Text.Find(data.Schema);
        var texts = Input.ReadAll(data);
        using var fingerprint = new DataFingerprint();
        foreach (var ids in texts) fingerprint.Add<long>(ids, []);
        var batches = ByteBatches.FromIds(texts, _options.SequenceLength, _options.BatchSize * _options.SequenceLength);
        session.Report($"{what} data: {texts.Count} rows, {batches.Sum(ByteBatches.CountTargets):N0} bytes, {batches.Count} batches per epoch.");
        return (batches, fingerprint.ToString());
    }
}
