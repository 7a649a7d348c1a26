using MLNetExt.Training.Telemetry;

namespace MLNetExt.Training.MLNet;

/// <summary>
/// A Fit's step reports: each goes to the options' <see cref="IProgress{T}"/> tagged with its phase, a line goes to
/// <c>MLContext.Log</c> every <c>logEvery</c> steps and after every epoch, and the context's or token's cancellation
/// is checked after each step (the engine then saves a checkpoint before the exception leaves Fit).
/// </summary>
internal sealed class EpochReporter(TrainingSession session, TrainingPhase phase, int stepsPerEpoch, int logEvery, IProgress<TrainingProgress>? user)
    : IProgress<TrainingProgress>
{
    double _loss;
    int _steps;

    public void Report(TrainingProgress p)
    {
        user?.Report(p with { Phase = phase.Name });
        _loss += p.Loss;
        _steps++;
        string validation = p.EvalLoss is double e ? $", validation loss {e:F4}" : "";
        if (logEvery > 0 && p.Step % logEvery == 0)
            session.Report($"{phase.Name} step {p.Step}/{p.TotalSteps}: loss {p.Loss:F4}, lr {p.LearningRate:E2}, {p.TokensPerSecond:N0} tokens/s{validation}");
        if (p.Step % stepsPerEpoch == 0 || p.Step == p.TotalSteps)
        {
            long epoch = (p.Step + stepsPerEpoch - 1) / stepsPerEpoch;
            session.Report($"{phase.Name} epoch {epoch}/{phase.Epochs}: training loss {_loss / _steps:F4}{validation}, {p.TokensPerSecond:F0} tokens/s, {p.Elapsed:hh\\:mm\\:ss}");
            (_loss, _steps) = (0, 0);
        }
        session.ThrowIfCancelled();
    }
}
