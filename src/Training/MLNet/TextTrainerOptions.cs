using Microsoft.ML;
using MLNetExt.Training.Optim;
using MLNetExt.Training.Schedules;
using MLNetExt.Training.Telemetry;

namespace MLNetExt.Training.MLNet;

/// <summary>The learning-rate curve: a linear warm-up over <see cref="TextTrainerOptions.WarmupFraction"/> of the steps, then the named decay.</summary>
public enum LearningRateSchedule
{
    /// <summary>Linear decay to zero (BERT fine-tuning's default).</summary>
    Linear,
    /// <summary>Cosine decay to zero.</summary>
    Cosine,
    /// <summary>Flat at the peak until the last 20% of steps, then linear to zero.</summary>
    WarmupStableDecay,
}

/// <summary>
/// How every MLNetExt trainer trains, whatever the model: ModernBERT's text classification, sentence similarity and
/// named-entity recognition, BLT's text classification and bits per byte. The model options (ModernBERT's, BLT's) add
/// where the weights come from and how rows are batched; each trainer's options add its columns. Every value is
/// checked when the catalog method builds the estimator; nothing here changes during Fit.
/// </summary>
public abstract record TextTrainerOptions
{
    /// <param name="learningRate">The model's default peak learning rate.</param>
    protected TextTrainerOptions(double learningRate) => LearningRate = learningRate;

    /// <summary>Passes over the training rows (at least 1).</summary>
    public int Epochs { get; init; } = 3;
    /// <summary>Peak learning rate, in (0, 1] (AdamW moves each weight by about this much per step); the model options set its default.</summary>
    public double LearningRate { get; init; }
    public LearningRateSchedule Schedule { get; init; } = LearningRateSchedule.Linear;
    /// <summary>Share of the steps spent warming the learning rate up from zero, in [0, 1].</summary>
    public double WarmupFraction { get; init; } = 0.1;
    /// <summary>AdamW's decoupled weight decay (finite, >= 0; LearningRate × WeightDecay below 1).</summary>
    public double WeightDecay { get; init; } = 0.01;
    /// <summary>One data-parallel replica per entry ("cpu", "cuda", "cuda:1", ...). Null: <c>MLContext.GpuDeviceId</c>'s GPU, else the CPU.</summary>
    public IReadOnlyList<string>? Devices { get; init; }
    /// <summary>bf16 forward/backward with fp32 master weights (faster on GPUs and bf16-capable CPUs).</summary>
    public TrainingPrecision Precision { get; init; } = TrainingPrecision.Float32;
    /// <summary>Seeds initialisation, shuffling and dropout; null takes the MLContext's seed (or 0 when it has none).</summary>
    public int? Seed { get; init; }
    /// <summary>Rows (same columns as the training data) scored after every epoch: the validation loss goes to the log and <see cref="Progress"/>.</summary>
    public IDataView? ValidationSet { get; init; }
    /// <summary>Stop after this many epochs without a better validation loss; 0 never stops early. Needs <see cref="ValidationSet"/>.</summary>
    public int EarlyStoppingPatience { get; init; }
    /// <summary>
    /// Where each training phase writes <c>metrics.jsonl</c>, <c>loss.png</c> and <c>checkpoints/</c>, in a subfolder
    /// named after the phase (<c>training</c>, and ModernBERT's <c>masked-lm-warmup</c>). Null writes no file at all.
    /// A checkpoint is saved after the last step, every <see cref="CheckpointEvery"/> steps, and when a stop
    /// (<see cref="CancellationToken"/>) ends the Fit.
    /// </summary>
    public string? OutputDirectory { get; init; }
    /// <summary>
    /// Continue from the newest checkpoint in <see cref="OutputDirectory"/>: only one of the same run (model, data,
    /// seed, schedule, ...), else Fit refuses naming what differs. False (the default) starts over and deletes the
    /// checkpoints a previous run left there.
    /// </summary>
    public bool Resume { get; init; }
    /// <summary>Save a checkpoint every this many steps (0: only at the end and on a stop). Needs <see cref="OutputDirectory"/>.</summary>
    public int CheckpointEvery { get; init; }
    /// <summary>A line on <c>MLContext.Log</c> every this many steps; 0 writes one line per epoch only.</summary>
    public int LogEvery { get; init; }
    /// <summary>Every optimizer step, tagged with its phase (<see cref="TrainingProgress.Phase"/>), synchronously on the training thread.</summary>
    public IProgress<TrainingProgress>? Progress { get; init; }
    /// <summary>
    /// Stops training after the current step: a checkpoint is saved when there is an <see cref="OutputDirectory"/>,
    /// then Fit throws <see cref="OperationCanceledException"/>. The MLContext stays usable.
    /// </summary>
    public CancellationToken CancellationToken { get; init; }
    /// <summary>How the fitted transformer batches rows when scoring.</summary>
    public ScoringOptions Scoring { get; init; } = new();

    /// <summary>Throws naming the first option that cannot work; the estimators call it when they are built.</summary>
    internal virtual void Validate()
    {
        OptionRange.AtLeast(this, nameof(Epochs), Epochs, 1);
        OptionRange.Number(this, nameof(LearningRate), LearningRate, 0, 1, exclusiveMin: true);
        OptionRange.Defined(this, nameof(Schedule), Schedule);
        OptionRange.Number(this, nameof(WarmupFraction), WarmupFraction, 0, 1);
        OptionRange.Number(this, nameof(WeightDecay), WeightDecay, 0);
        if (LearningRate * WeightDecay >= 1)
            throw OptionRange.Conflict(this, nameof(WeightDecay), $"{WeightDecay} times LearningRate {LearningRate} is at least 1, so every step would zero or flip the weights.");
        if (Devices is not null)
        {
            if (Devices.Count == 0) throw OptionRange.Fail(this, nameof(Devices), "an empty list", "null or at least one device");
            try { Parallel.Devices.Parse(Devices); }
            catch (ArgumentException e) { throw OptionRange.Conflict(this, nameof(Devices), e.Message); }
        }
        OptionRange.Defined(this, nameof(Precision), Precision);
        OptionRange.AtLeast(this, nameof(EarlyStoppingPatience), EarlyStoppingPatience, 0);
        if (EarlyStoppingPatience > 0 && ValidationSet is null)
            throw OptionRange.Conflict(this, nameof(EarlyStoppingPatience), $"{EarlyStoppingPatience} epochs, but there is no ValidationSet to watch.");
        if (OutputDirectory is not null) OptionRange.NotBlank(this, nameof(OutputDirectory), OutputDirectory);
        OptionRange.AtLeast(this, nameof(CheckpointEvery), CheckpointEvery, 0);
        if (OutputDirectory is null && (Resume || CheckpointEvery > 0))
            throw OptionRange.Conflict(this, Resume ? nameof(Resume) : nameof(CheckpointEvery), "checkpoints need an OutputDirectory.");
        OptionRange.AtLeast(this, nameof(LogEvery), LogEvery, 0);
        if (Scoring is null) throw OptionRange.Fail(this, nameof(Scoring), null, "scoring options");
        Scoring.Validate();
    }

    /// <summary>
    /// The one mapping onto the engine's options, for a <paramref name="phase"/> of <paramref name="batchesPerEpoch"/>
    /// steps per epoch (evaluated once per epoch when <paramref name="validates"/>).
    /// </summary>
    internal TrainerOptions ToTrainerOptions(TrainingSession session, TrainingPhase phase, int batchesPerEpoch, bool validates)
    {
        long steps = (long)phase.Epochs * batchesPerEpoch;
        long warmup = (long)Math.Round(steps * WarmupFraction);
        LrSchedule schedule = Schedule switch
        {
            LearningRateSchedule.Linear => new WarmupLinear(phase.LearningRate, warmup, steps),
            LearningRateSchedule.Cosine => new WarmupCosine(phase.LearningRate, warmup, steps),
            _ => new WarmupStableDecay(phase.LearningRate, warmup, steps, Math.Max(1, steps / 5)),
        };
        return new TrainerOptions
        {
            Schedule = schedule,
            Devices = Devices ?? [session.DeviceName],
            Precision = Precision,
            Seed = session.Seed,
            AdamW = new AdamWOptions(WeightDecay: WeightDecay),
            EvalEvery = validates ? batchesPerEpoch : 0,
            EarlyStoppingPatience = validates ? EarlyStoppingPatience : 0,
            OutputDirectory = OutputDirectory is null ? null : Path.Combine(OutputDirectory, phase.Folder),
            Resume = Resume,
            CheckpointEvery = CheckpointEvery,
            ShowProgress = false,
            Fingerprint = phase.Fingerprint,
        };
    }
}
