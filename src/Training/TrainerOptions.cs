using MLNetExt.Training.Optim;
using MLNetExt.Training.Schedules;

namespace MLNetExt.Training;

public enum TrainingPrecision
{
    /// <summary>fp32 everywhere.</summary>
    Float32,
    /// <summary>bf16 replicas for forward/backward; fp32 master weights, gradients and optimizer state.</summary>
    BFloat16,
}

public enum GradientBackend
{
    /// <summary>All replicas in this process; gradients summed with device copies.</summary>
    InProcess,
    /// <summary>NCCL all-reduce: all listed GPUs of this process, or one GPU per process under torchrun/Slurm.</summary>
    Nccl,
}

/// <summary>How to train; the model's shape lives in the task, not here.</summary>
public sealed record TrainerOptions
{
    /// <summary>Learning rate per optimizer step; its <see cref="LrSchedule.TotalSteps"/> is the run's length.</summary>
    public required LrSchedule Schedule { get; init; }
    /// <summary>One replica per entry: "cpu" (may repeat), "cuda:0", ... Under torchrun/Slurm with NCCL, this process's one GPU.</summary>
    public IReadOnlyList<string> Devices { get; init; } = ["cpu"];
    public TrainingPrecision Precision { get; init; } = TrainingPrecision.Float32;
    public GradientBackend Backend { get; init; } = GradientBackend.InProcess;
    public int Seed { get; init; }
    /// <summary>Micro-batches per optimizer step.</summary>
    public int AccumulationSteps { get; init; } = 1;
    public AdamWOptions AdamW { get; init; } = new();
    /// <summary>Global gradient-norm clip; 0 disables clipping.</summary>
    public double MaxGradNorm { get; init; } = 1.0;
    /// <summary>Reshuffle the batches every epoch (seeded).</summary>
    public bool Shuffle { get; init; } = true;
    /// <summary>Evaluate every this many steps (and at the end); 0 evaluates only at the end.</summary>
    public int EvalEvery { get; init; }
    /// <summary>Stop after this many evaluations without improving the best eval loss by <see cref="EarlyStoppingMinDelta"/>; 0 never stops early.</summary>
    public int EarlyStoppingPatience { get; init; }
    public double EarlyStoppingMinDelta { get; init; }
    /// <summary>Where metrics.jsonl, loss.png and checkpoints/ go; null writes nothing.</summary>
    public string? OutputDirectory { get; init; }
    /// <summary>Save a checkpoint every this many steps; 0 saves none on the way. A stop always saves one.</summary>
    public int CheckpointEvery { get; init; }
    /// <summary>Save a checkpoint after the last step (so that rerunning a finished run returns at once).</summary>
    public bool CheckpointAtEnd { get; init; } = true;
    public int KeepCheckpoints { get; init; } = 3;
    /// <summary>
    /// Continue from the newest complete checkpoint in OutputDirectory/checkpoints when there is one; it must come
    /// from the same run (same <see cref="Fingerprint"/>, seed, schedule and optimizer), else Fit refuses naming what
    /// differs. False starts over: checkpoints and metrics already in the folder are deleted.
    /// </summary>
    public bool Resume { get; init; } = true;
    /// <summary>
    /// What identifies the run besides these options (e.g. task, model config, data): named parts, compared part by
    /// part with a checkpoint's before resuming from it.
    /// </summary>
    public IReadOnlyDictionary<string, string> Fingerprint { get; init; } = new Dictionary<string, string>();
    /// <summary>Steps with a NaN/inf loss or gradient are skipped; this many in a row is an error.</summary>
    public int MaxConsecutiveNonFinite { get; init; } = 5;
    /// <summary>Console output (live bar on a terminal, a line every <see cref="LogEvery"/> steps otherwise).</summary>
    public bool ShowProgress { get; init; } = true;
    public int LogEvery { get; init; } = 10;
    /// <summary>Total peak FLOP/s for MFU; null looks GPUs up in a table and measures the CPU.</summary>
    public double? PeakFlops { get; init; }
    /// <summary>Gradient bucket size for the reduction.</summary>
    public long BucketBytes { get; init; } = 25L << 20;
}
