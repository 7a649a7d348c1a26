namespace MLNetExt.Training.Telemetry;

/// <summary>
/// One optimizer step as reported to <see cref="IProgress{T}"/>, the console and metrics.jsonl.
/// <see cref="Mfu"/> is NaN when the devices' peak FLOP/s is unknown; <see cref="EvalLoss"/> is set on steps
/// that ran an evaluation. <see cref="Phase"/> names the training phase in the ML.NET trainers (e.g. ModernBERT's
/// masked-LM warm-up before its training), whose step counts each start at 1.
/// </summary>
public sealed record TrainingProgress(
    long Step,
    long TotalSteps,
    double Loss,
    double LearningRate,
    double GradNorm,
    long Tokens,
    double TokensPerSecond,
    double Mfu,
    double? EvalLoss,
    TimeSpan Elapsed)
{
    public string Phase { get; init; } = "";
}
