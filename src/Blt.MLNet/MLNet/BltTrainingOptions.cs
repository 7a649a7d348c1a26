using MLNetExt.Training;
using MLNetExt.Training.MLNet;
using MLNetExt.Training.Optim;
using MLNetExt.Training.Schedules;

namespace MLNetExt.Blt.MLNet;

/// <summary>
/// How a BLT estimator trains (both the classifier and the byte LM): where it starts, how long, on which devices.
/// <see cref="ToTrainerOptions"/> is the one place these become the training engine's <see cref="TrainerOptions"/>.
/// </summary>
public sealed record BltTrainingOptions
{
    /// <summary>A BLT folder (HF layout: config.json + model.safetensors) to fine-tune; null trains <see cref="Preset"/> from scratch.</summary>
    public string? ModelPath { get; init; }
    public BltPreset Preset { get; init; } = BltPreset.Tiny;
    public int Epochs { get; init; } = 3;
    /// <summary>Rows (classifier; steps are also cut at <see cref="BltClassifierOptions.BatchBytes"/>) or packed rows of <see cref="BltBitsPerByteOptions.SequenceLength"/> bytes (byte LM) per step.</summary>
    public int BatchSize { get; init; } = 16;
    public double LearningRate { get; init; } = 1e-3;
    /// <summary>Share of the steps spent warming the learning rate up (then linear decay to 0).</summary>
    public double WarmupFraction { get; init; } = 0.1;
    public double WeightDecay { get; init; } = 0.01;
    /// <summary>One data-parallel replica per entry ("cpu", "cuda:0", ...); null uses the device MLContext.GpuDeviceId asks for.</summary>
    public IReadOnlyList<string>? Devices { get; init; }
    public TrainingPrecision Precision { get; init; } = TrainingPrecision.Float32;
    public int Seed { get; init; }
    /// <summary>Where metrics, the loss plot and checkpoints go; with <see cref="Resume"/>, a rerun continues from the newest checkpoint.</summary>
    public string? OutputDirectory { get; init; }
    public bool Resume { get; init; } = true;
    public int CheckpointEvery { get; init; }
    /// <summary>Progress lines on MLContext.Log every this many steps.</summary>
    public int LogEvery { get; init; } = 10;
    public CancellationToken Cancellation { get; init; }

    /// <summary>The starting BLT: the folder at <see cref="ModelPath"/>, or a fresh <see cref="Preset"/> model.</summary>
    public BltConfig Config => ModelPath is null ? BltPresets.Config(Preset) : BltConfigJson.Read(Path.Combine(ModelPath, BltCheckpoint.ConfigFile));

    /// <summary>The pretrained weights to start from, or null when training from scratch.</summary>
    public BltModel? LoadPretrained() => ModelPath is null ? null : BltCheckpoint.Load(ModelPath);

    public TrainerOptions ToTrainerOptions(int batchesPerEpoch, TrainingSession session)
    {
        if (Epochs < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "Train for at least one epoch.");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "A batch needs at least one row.");
        long steps = (long)Epochs * batchesPerEpoch;
        return new TrainerOptions
        {
            Schedule = new WarmupLinear(LearningRate, (long)Math.Ceiling(steps * WarmupFraction), steps),
            Devices = Devices ?? [session.DeviceName],
            Precision = Precision,
            Seed = Seed,
            AdamW = new AdamWOptions(WeightDecay: WeightDecay),
            OutputDirectory = OutputDirectory,
            Resume = Resume,
            CheckpointEvery = CheckpointEvery,
            ShowProgress = false,
        };
    }
}
