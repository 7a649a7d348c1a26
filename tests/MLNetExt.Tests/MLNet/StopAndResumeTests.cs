using Microsoft.ML;
using MLNetExt.Blt.MLNet;
using MLNetExt.ModernBert.MLNet;
using MLNetExt.ScoringHost;
using MLNetExt.Tests.Blt.MLNet;
using MLNetExt.Tests.ModernBert.MLNet;
using MLNetExt.Training.MLNet;
using MLNetExt.Training.Telemetry;

namespace MLNetExt.Tests.MLNet;

/// <summary>
/// Stops and resumes, the same on both models: a stop saves a checkpoint, a resumed Fit finishes the same model as an
/// uninterrupted one, a checkpoint of another run is refused, and a Fit without Resume starts over.
/// </summary>
[TestClass]
public sealed class StopAndResumeTests
{
    static TextTrainerOptions Classifier(string model, int epochs) =>
        model == "Blt" ? BltMLNetData.Classifier(epochs) : MLNetFixtures.Classifier(epochs);

    static ITransformer Fit(MLContext ml, TextTrainerOptions options, IDataView data) => options switch
    {
        BltTextClassificationOptions o => ml.MulticlassClassification.Trainers.Blt(o).Fit(data),
        ModernBertTextClassificationOptions o => ml.MulticlassClassification.Trainers.ModernBert(o).Fit(data),
        _ => throw new ArgumentException(options.GetType().Name),
    };

    static string Scores(MLContext ml, ITransformer model) => ScoreDump.ToText(model.Transform(ToyData.Load(ml, 10, seed: 4)), "Score");

    static string[] Checkpoints(string root) =>
        Directory.GetDirectories(Path.Combine(root, TrainingPhase.TrainingFolder, "checkpoints")).Select(d => Path.GetFileName(d)!).Order().ToArray();

    [TestMethod]
    [DataRow("ModernBert")]
    [DataRow("Blt")]
    public void AStopSavesACheckpointAndResumingFinishesTheSameModel(string model)
    {
        using var dir = new PersistenceTests.TempDir();
        var ml = new MLContext(seed: 1);
        var data = ToyData.Load(ml, 24);
        var options = Classifier(model, epochs: 3);
        string straight = Scores(ml, Fit(ml, options, data));

        using var cancel = new CancellationTokenSource();
        var stopping = options with
        {
            OutputDirectory = dir.Root, CancellationToken = cancel.Token,
            Progress = new SyncProgress(p => { if (p.Step == 3) cancel.Cancel(); }),
        };
        Assert.ThrowsExactly<OperationCanceledException>(() => Fit(ml, stopping, data));
        CollectionAssert.AreEqual(new[] { "step-000000003" }, Checkpoints(dir.Root), "the stop saved the last completed step");

        var steps = new List<long>();
        string resumed = Scores(ml, Fit(ml, options with { OutputDirectory = dir.Root, Resume = true, Progress = new SyncProgress(p => steps.Add(p.Step)) }, data));
        Assert.AreEqual(4, steps[0], "resumed after step 3");
        Assert.AreEqual(straight, resumed, "a stopped and resumed Fit is the uninterrupted one");
    }

    [TestMethod]
    [DataRow("ModernBert")]
    [DataRow("Blt")]
    public void ResumeRefusesAnotherRunsCheckpointAndAFreshFitReplacesIt(string model)
    {
        using var dir = new PersistenceTests.TempDir();
        var ml = new MLContext(seed: 1);
        var options = Classifier(model, epochs: 2) with { OutputDirectory = dir.Root };
        Fit(ml, options, ToyData.Load(ml, 24, seed: 1));
        string[] first = Checkpoints(dir.Root);

        // Other rows, same count: the same schedule, so only the data tells the runs apart.
        var other = ToyData.Load(ml, 24, seed: 2);
        var refused = Assert.ThrowsExactly<InvalidOperationException>(() => Fit(ml, options with { Resume = true }, other));
        StringAssert.Contains(refused.Message, "belongs to another run (data: checkpoint '24 rows");
        StringAssert.Contains(refused.Message, "turn Resume off to start over");

        // Resume off: a fresh run, fewer epochs, that deletes the first run's checkpoints rather than mixing with them.
        var fresh = options with { Epochs = 1 };
        string scores = Scores(ml, Fit(ml, fresh, other));
        Assert.AreEqual(Scores(ml, Fit(ml, fresh with { OutputDirectory = null }, other)), scores);
        string[] second = Checkpoints(dir.Root);
        Assert.HasCount(1, second);
        Assert.IsLessThan(0, string.CompareOrdinal(second[0], first[^1]), "only the fresh run's (shorter) final checkpoint is left");
        Assert.AreEqual(scores, Scores(ml, Fit(ml, fresh with { Resume = true }, other)), "the same run resumes (here: is already finished)");
    }

    sealed class SyncProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
