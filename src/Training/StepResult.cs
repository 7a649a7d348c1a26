namespace MLNetExt.Training;

/// <summary>
/// One optimizer step. The step itself never waits for the device: <see cref="Applied"/>, <see cref="Loss"/>,
/// <see cref="LearningRate"/>, <see cref="GradNorm"/> and <see cref="Total"/> live on the device until one of them is
/// first read, which copies every unread step's values in one transfer (and so waits for the device to get there).
/// <see cref="Applied"/> is false when the step was skipped for a non-finite loss or gradient (weights untouched).
/// The phase times are the host's, each ending with a device synchronisation only in the trainer's diagnostic mode.
/// </summary>
public sealed class StepResult
{
    readonly Action _resolve;
    (bool Applied, double Loss, double LearningRate, double GradNorm, TimeSpan Total)? _values;

    internal StepResult(long tokens, double flops, StepTimings timings, Action resolve)
    {
        (Tokens, Flops, Timings, _resolve) = (tokens, flops, timings, resolve);
    }

    /// <summary>Real tokens of the step's micro-batches.</summary>
    public long Tokens { get; }
    /// <summary>Model FLOPs of the step (the task's count).</summary>
    public double Flops { get; }
    /// <summary>Host time of each phase: preparing batches, forward, backward, gradient reduction, optimizer.</summary>
    public StepTimings Timings { get; }

    public bool Applied => Values.Applied;
    /// <summary>Mean loss per loss term over the step's micro-batches (all replicas and ranks).</summary>
    public double Loss => Values.Loss;
    public double LearningRate => Values.LearningRate;
    /// <summary>Global norm of the mean gradient before clipping.</summary>
    public double GradNorm => Values.GradNorm;
    /// <summary>Wall time from the start of the step until its values were read (right after the step: its full time).</summary>
    public TimeSpan Total => Values.Total;

    (bool Applied, double Loss, double LearningRate, double GradNorm, TimeSpan Total) Values
    {
        get
        {
            if (_values is null) _resolve();
            return _values ?? throw new InvalidOperationException("The trainer did not resolve this step.");
        }
    }

    internal bool IsResolved => _values is not null;

    internal void Resolve(bool applied, double loss, double learningRate, double gradNorm, TimeSpan total) =>
        _values = (applied, loss, learningRate, gradNorm, total);
}

/// <summary>Host time per phase of a step; device time only in the trainer's diagnostic mode (a synchronisation after each).</summary>
public readonly record struct StepTimings(TimeSpan Prepare, TimeSpan Forward, TimeSpan Backward, TimeSpan Reduce, TimeSpan Optimizer)
{
    public TimeSpan Sum => Prepare + Forward + Backward + Reduce + Optimizer;
}
