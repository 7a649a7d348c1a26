namespace MLNetExt.Training;

/// <summary>
/// One optimizer step. <see cref="Applied"/> is false when the step was skipped for a non-finite loss or gradient
/// (weights untouched). Timings split the step into its phases: preparing and sharding the batches, the replicas'
/// concurrent forward/backward, gradient collection and reduction, and clip + optimizer + copying weights down;
/// <see cref="Total"/> is the whole step's wall time (it also covers seeding and zeroing the gradients).
/// </summary>
public sealed record StepResult(
    bool Applied,
    double Loss,
    double LearningRate,
    double GradNorm,
    long Tokens,
    double Flops,
    TimeSpan Shard,
    TimeSpan ForwardBackward,
    TimeSpan Sync,
    TimeSpan Update,
    TimeSpan Total);
