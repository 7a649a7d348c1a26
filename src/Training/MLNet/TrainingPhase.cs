namespace MLNetExt.Training.MLNet;

/// <summary>
/// One engine run inside a Fit (ModernBERT's masked-LM warm-up, then the training itself): its name in the log and
/// in <see cref="Telemetry.TrainingProgress.Phase"/>, its subfolder of the output directory, its length and peak
/// learning rate, and what identifies it for resuming (<see cref="TrainerOptions.Fingerprint"/>).
/// </summary>
internal sealed record TrainingPhase(string Name, string Folder, int Epochs, double LearningRate, IReadOnlyDictionary<string, string> Fingerprint)
{
    public const string TrainingFolder = "training";
}
