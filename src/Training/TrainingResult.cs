namespace MLNetExt.Training;

/// <summary>What a <see cref="Trainer{TModel,TBatch}.Fit"/> call did.</summary>
/// <param name="Losses">Training loss of each step this call took, in order (skipped steps are not listed).</param>
/// <param name="EvalLosses">Each evaluation this call ran: (step, loss).</param>
/// <param name="BestEvalLoss">Best eval loss of the whole run (including before a resume); +inf without evaluation.</param>
/// <param name="SkippedSteps">Steps skipped for a non-finite loss or gradient in this call.</param>
public sealed record TrainingResult(
    long FinalStep,
    IReadOnlyList<(long Step, double Loss)> Losses,
    IReadOnlyList<(long Step, double Loss)> EvalLosses,
    double BestEvalLoss,
    long BestEvalStep,
    bool StoppedEarly,
    int SkippedSteps,
    string? LastCheckpoint);
