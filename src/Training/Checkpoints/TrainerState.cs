namespace MLNetExt.Training.Checkpoints;

/// <summary>
/// Everything besides tensors that a resumed run needs to continue the exact trajectory; stored as trainer.json.
/// Randomness needs no saved state: masking and dropout are reseeded from (Seed, position of the micro-batch in the
/// run) every step, and the data order of each epoch from (Seed, epoch). <see cref="Run"/> identifies the run (task,
/// model, data, seed, schedule, optimizer): a checkpoint resumes only a run with the same identity.
/// </summary>
public sealed record TrainerState(
    long Step,
    long OptimizerSteps,
    long MicroBatchesConsumed,
    double BestEvalLoss,
    long BestEvalStep,
    int EvalsWithoutImprovement,
    int NonFiniteStreak,
    IReadOnlyDictionary<string, string> Run);
