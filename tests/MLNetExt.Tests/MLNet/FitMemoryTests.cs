using Microsoft.ML;
using MLNetExt.Blt;
using MLNetExt.Blt.MLNet;
using MLNetExt.Blt.Training;
using MLNetExt.ModernBert;
using MLNetExt.ModernBert.MLNet;
using MLNetExt.ModernBert.Tokenization;
using MLNetExt.ModernBert.Training;
using MLNetExt.Tests.Blt.MLNet;
using MLNetExt.Tests.ModernBert.MLNet;
using MLNetExt.Training;
using MLNetExt.Training.Packing;
using MLNetExt.Training.Schedules;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.Tests.MLNet;

/// <summary>
/// A Fit disposes what it creates only to copy weights from (a pretrained BLT, ModernBERT's masked-LM warm-up model,
/// CPU copies of the trained weights) instead of leaving them to the finalizer. Counted with TorchSharp's per-thread
/// live-tensor statistics (with one CPU replica every tensor of a Fit is made on the calling thread): what a Fit
/// leaves is the model it returns plus what building the engine's trainer leaves, measured here the same way.
/// </summary>
[TestClass]
public sealed class FitMemoryTests
{
    static long Live => DisposeScopeManager.Statistics.ThreadTotalLiveCount;

    static long Created => DisposeScopeManager.Statistics.CreatedOutsideScopeCount + DisposeScopeManager.Statistics.CreatedInScopeCount;

    /// <summary>Live tensors a new model holds (its state, plus any constants it does not register).</summary>
    static long ModelTensors(Func<nn.Module> create)
    {
        long before = Live;
        var model = create();
        long count = Live - before;
        model.Dispose();
        return count;
    }

    /// <summary>What building and disposing the engine's trainer for <paramref name="task"/> leaves behind.</summary>
    static long TrainerLeftovers<TModel, TBatch>(ITrainingTask<TModel, TBatch> task) where TModel : nn.Module
    {
        long before = Live;
        new Trainer<TModel, TBatch>(task, new TrainerOptions { Schedule = new WarmupLinear(1e-3, 0, 1), ShowProgress = false }).Dispose();
        return Live - before;
    }

    [TestMethod]
    public void BltFitsFromAFolderDisposeThePretrainedModelAndTheirCopies()
    {
        using var dir = new PersistenceTests.TempDir();
        string folder = dir.File("blt");
        var config = BltSource.Preset(BltSize.Tiny);
        using (var pretrained = new BltModel(config)) BltCheckpoint.Save(pretrained, folder);
        var ml = new MLContext(seed: 1);
        var data = ToyData.Load(ml, 8);
        // A few constants BltModel builds without registering them stay with the finalizer, whoever made the model.
        long unregistered = ModelTensors(() => new BltModel(config)) - new BltModel(config).state_dict().Count;

        long before = Live;
        ml.MulticlassClassification.Trainers.Blt(BltMLNetData.Classifier(epochs: 1) with { Model = BltSource.Pretrained(folder) }).Fit(data);
        long left = Live - before - ModelTensors(() => new BltForSequenceClassification(config, 3))
            - TrainerLeftovers(new BltClassificationTask(config, 3, null));
        Assert.IsLessThanOrEqualTo(unregistered, left, "text classification");

        var bitsPerByte = BltMLNetData.BitsPerByte(epochs: 1) with { Model = BltSource.Pretrained(folder), SequenceLength = 32 };
        before = Live;
        ml.Transforms.Text.BltBitsPerByte(bitsPerByte).Fit(data);
        left = Live - before - ModelTensors(() => new BltModel(config)) - TrainerLeftovers(new BltTask(config, null));
        Assert.IsLessThanOrEqualTo(unregistered, left, "bits per byte");
    }

    [TestMethod]
    public void ModernBertFitDisposesItsMaskedLmWarmUpModel()
    {
        var ml = new MLContext(seed: 1);
        var (config, tokenizer) = MLNetFixtures.TinySource.Resolve();
        var options = MLNetFixtures.Classifier(epochs: 1) with { Model = ModernBertSource.FromScratch(MLNetFixtures.TinySource.Config!, maskedLmEpochs: 1) };
        var data = ToyData.Load(ml, 12);
        var head = config with { NumLabels = 3, ProblemType = "single_label_classification" };
        // The encoder keeps per-device tables (rotary, attention bands) for the process: made by a first Fit, kept on purpose.
        ml.MulticlassClassification.Trainers.ModernBert(MLNetFixtures.Classifier(epochs: 1)).Fit(data);

        long before = Live;
        ml.MulticlassClassification.Trainers.ModernBert(options).Fit(data);
        long left = Live - before - ModelTensors(() => new ModernBertForSequenceClassification(head))
            - TrainerLeftovers(ModernBertMaskedLmTask.ForTokenizer(config, tokenizer))
            - TrainerLeftovers(new ModernBertSequenceTask(head, () => new ModernBertForSequenceClassification(head)));
        // A constant the masked-LM model does not register stays with the finalizer.
        long unregistered = ModelTensors(() => new ModernBertForMaskedLM(config)) - new ModernBertForMaskedLM(config).state_dict().Count;
        Assert.IsLessThanOrEqualTo(unregistered, left, $"left {left}");
    }

    [TestMethod]
    public void PackedInputBuildsOneRotaryPairWhenThetasAreEqualAndLeavesNothingBehind()
    {
        var config = MLNetFixtures.TinySource.Resolve().Config;
        long Made(ModernBertConfig c, out long left)
        {
            long made = Created, live = Live;
            using (var input = PackedInput.Create(PackedBatch.FromSequences([[1L, 5, 6, 2], [1L, 7, 2]]), c))
            {
                input.RotaryTables(c.GlobalRopeTheta);   // as the global and the local layers ask for theirs
                input.RotaryTables(c.LocalRopeTheta);
            }
            left = Live - live;
            return Created - made;
        }
        var equal = config with { LocalRopeTheta = config.GlobalRopeTheta };
        var different = config with { LocalRopeTheta = config.GlobalRopeTheta / 2 };
        Made(equal, out _);   // the per-device position tables are cached on first use
        Made(different, out _);
        long madeEqual = Made(equal, out long leftEqual), madeDifferent = Made(different, out long leftDifferent);
        Assert.IsGreaterThanOrEqualTo(2, madeDifferent - madeEqual, "a cos/sin pair fewer");
        Assert.AreEqual(0, leftEqual);
        Assert.AreEqual(0, leftDifferent);
    }
}
