using Microsoft.ML;
using MLNetExt.Training;
using MLNetExt.Training.MLNet;
using MLNetExt.Training.Telemetry;

namespace MLNetExt.ModernBert.MLNet;

/// <summary>The learning-rate curve over the run: linear warm-up, then the named decay.</summary>
public enum ModernBertSchedule
{
    /// <summary>Linear decay to zero (BERT fine-tuning's default).</summary>
    Linear,
    /// <summary>Cosine decay to zero.</summary>
    Cosine,
    /// <summary>Flat at the peak until the last 20% of steps, then linear to zero.</summary>
    WarmupStableDecay,
}

/// <summary>
/// How every ModernBERT trainer trains; the defaults run on a laptop CPU. The trainers' own options add their columns.
/// <c>ModernBertFineTuning</c> maps these onto the engine's <see cref="TrainerOptions"/> in one place.
/// </summary>
public abstract record ModernBertTrainerOptions
{
    /// <summary>The encoder to fine-tune: <see cref="ModernBertSource.Pretrained"/> or <see cref="ModernBertSource.FromScratch(ModernBertSize, int)"/> (default: Small, one warm-up epoch).</summary>
    public ModernBertSource Model { get; init; } = ModernBertSource.FromScratch();
    /// <summary>Tokens per row including [CLS]/[SEP]; longer rows are truncated (and counted in the log).</summary>
    public int MaxLength { get; init; } = 256;
    /// <summary>Tokens per training batch (rows are packed without padding up to this many).</summary>
    public int TokenBudget { get; init; } = 8192;
    public int Epochs { get; init; } = 3;
    /// <summary>Peak learning rate of fine-tuning.</summary>
    public double LearningRate { get; init; } = 1e-4;
    /// <summary>Peak learning rate of the masked-LM warm-up (<see cref="ModernBertSource.MaskedLmEpochs"/>).</summary>
    public double MaskedLmLearningRate { get; init; } = 5e-4;
    public ModernBertSchedule Schedule { get; init; } = ModernBertSchedule.Linear;
    /// <summary>Share of the steps spent warming the learning rate up from zero.</summary>
    public double WarmupFraction { get; init; } = 0.1;
    public double WeightDecay { get; init; } = 0.01;
    /// <summary>"cpu", "cuda", "cuda:1", or several ("cuda:0,cuda:1") for data parallelism. Null: <c>MLContext.GpuDeviceId</c>'s GPU, else the CPU.</summary>
    public string? Devices { get; init; }
    /// <summary>bf16 forward/backward with fp32 master weights (faster on GPUs and bf16-capable CPUs).</summary>
    public TrainingPrecision Precision { get; init; } = TrainingPrecision.Float32;
    /// <summary>Score in bf16 (see <see cref="ModernBertEncoder.BFloat16"/> for the accuracy trade).</summary>
    public bool ScoreInBFloat16 { get; init; }
    /// <summary>Evaluated after every epoch (loss reported to the log and <see cref="Progress"/>); needed for early stopping.</summary>
    public IDataView? ValidationSet { get; init; }
    /// <summary>Stop after this many epochs without a better validation loss; 0 never stops early.</summary>
    public int EarlyStoppingPatience { get; init; }
    /// <summary>Seeds initialisation, shuffling and dropout; null takes <c>MLContext</c>'s seed (or 0).</summary>
    public int? Seed { get; init; }
    /// <summary>Every optimizer step (warm-up included); per-epoch summaries go to <c>MLContext.Log</c>.</summary>
    public IProgress<TrainingProgress>? Progress { get; init; }
    /// <summary>Stops training at the next step (as does <c>MLContext.CancelExecution()</c>) with <see cref="OperationCanceledException"/>.</summary>
    public CancellationToken CancellationToken { get; init; }
    /// <summary>How the fitted transformer batches rows when scoring.</summary>
    public ScoringOptions Scoring { get; init; } = new();
}
