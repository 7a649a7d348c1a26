namespace MLNetExt.Training.Checkpoints;

/// <summary>
/// Everything besides tensors that a resumed run needs to continue the exact trajectory; stored as trainer.json.
/// Randomness needs no saved state: masking and dropout are reseeded from (Seed, position of the micro-batch in the
/// run) every step, and the data order of each epoch from (Seed, epoch).
/// </summary>
public sealed record TrainerState(
    long Step,
    long OptimizerSteps,
    long MicroBatchesConsumed,
    int Seed,
    double BestEvalLoss,
    long BestEvalStep,
    int EvalsWithoutImprovement,
    int NonFiniteStreak,
    string Schedule);
