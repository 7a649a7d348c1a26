using MLNetExt.Blt;
using MLNetExt.Blt.Modules;
using MLNetExt.Blt.Training;
using MLNetExt.Tests.Training;
using MLNetExt.Training;

namespace MLNetExt.Tests.Blt.Training;

[TestClass]
public sealed class BltTrainingTests
{
    [TestMethod]
    public void TrainingTheEntropyModelAndBltLowersHeldOutBitsPerByte()
    {
        var train = ByteBatches.FromTexts(TinyCorpus.Texts(48, seed: 1), sequenceLength: 64, batchBytes: 256);
        var eval = ByteBatches.FromTexts(TinyCorpus.Texts(8, seed: 2), sequenceLength: 64, batchBytes: 256);
        var (config, entropy) = TinyCorpus.Blt();

        using var byteLm = new Trainer<EntropyModel, BltBatch>(new ByteLmTask(config.PatcherConfig), TinyCorpus.Options(12));
        double byteBefore = byteLm.Evaluate(eval);
        byteLm.Fit(train);
        Assert.IsLessThan(byteBefore - 0.5, byteLm.Evaluate(eval), "entropy model nats per byte");

        using var blt = new Trainer<BltModel, BltBatch>(new BltTask(config, entropy), TinyCorpus.Options(12));
        double bltBefore = NextByteBits(blt.Evaluate(eval));
        var result = blt.Fit(train, eval);
        double bltAfter = NextByteBits(result.EvalLosses[^1].Loss);
        Assert.IsLessThan(bltBefore - 0.5, bltAfter, $"BLT bits per byte {bltBefore:F3} -> {bltAfter:F3}");
        // The trainer's eval loss is the model's own bits per byte.
        Assert.AreEqual(blt.Model.BitsPerByte(eval[0]), NextByteBits(blt.Evaluate([eval[0]])), 1e-4);
    }

    static double NextByteBits(double nats) => nats / Math.Log(2);

    [TestMethod]
    public void EntropyModelStaysFrozenAndOutOfTheOptimizer()
    {
        var train = ByteBatches.FromTexts(TinyCorpus.Texts(16, seed: 4), sequenceLength: 48, batchBytes: 192);
        var (config, entropy) = TinyCorpus.Blt();
        var before = ToyTask.Weights(entropy);
        using var trainer = new Trainer<BltModel, BltBatch>(new BltTask(config, entropy), TinyCorpus.Options(3));
        Assert.AreEqual(0.0, ToyTask.MaxDifference(before, ToyTask.Weights(trainer.Model.EntropyModel!)), "copied in");
        trainer.Fit(train);
        Assert.AreEqual(0.0, ToyTask.MaxDifference(before, ToyTask.Weights(trainer.Model.EntropyModel!)), "unchanged by training");
        Assert.IsTrue(trainer.Model.EntropyModel!.parameters().All(p => !p.requires_grad));
    }

    [TestMethod]
    public void TwoCpuReplicasMatchOneReplica()
    {
        // 3 rows of documents of uneven lengths: the split cuts between documents, not rows.
        var train = ByteBatches.FromTexts(TinyCorpus.Texts(30, seed: 5), sequenceLength: 40, batchBytes: 120);
        var (config, entropy) = TinyCorpus.Blt();
        (Dictionary<string, float[]> Weights, double[] Losses) Train(params string[] devices)
        {
            using var trainer = new Trainer<BltModel, BltBatch>(new BltTask(config, entropy), TinyCorpus.Options(4, devices: devices) with { MaxGradNorm = 0.5 });
            var losses = trainer.Fit(train).Losses.Select(l => l.Loss).ToArray();
            return (ToyTask.Weights(trainer.Model), losses);
        }
        var (one, oneLosses) = Train("cpu");
        var (two, twoLosses) = Train("cpu", "cpu");
        Assert.IsLessThanOrEqualTo(1e-5, ToyTask.MaxDifference(one, two));
        for (int i = 0; i < oneLosses.Length; i++) Assert.AreEqual(oneLosses[i], twoLosses[i], 1e-5);
    }

    [TestMethod]
    public void SplitKeepsEveryDocumentAndBalancesBytes()
    {
        var batch = ByteBatches.FromTexts(TinyCorpus.Texts(20, seed: 6), sequenceLength: 50, batchBytes: 400)[0];
        var documents = ByteBatches.Documents(batch);
        var shards = ByteBatches.Split(batch, 3);
        Assert.HasCount(3, shards);
        var rejoined = shards.SelectMany(ByteBatches.Documents).ToList();
        CollectionAssert.AreEqual(documents.Select(d => string.Join(",", d)).ToList(), rejoined.Select(d => string.Join(",", d)).ToList());
        Assert.AreEqual(ByteBatches.CountTargets(batch), shards.Sum(ByteBatches.CountTargets));
        var sizes = shards.Select(ByteBatches.CountTargets).ToArray();
        Assert.IsLessThan(sizes.Sum() / 3.0 * 0.5, sizes.Max() - sizes.Min(), string.Join(", ", sizes));
        // More shards than documents: the extra shard has nothing to score.
        var single = ByteBatches.FromTexts(["one document"], 50, 50)[0];
        var split = ByteBatches.Split(single, 2).Select(ByteBatches.CountTargets).Order().ToArray();
        CollectionAssert.AreEqual(new long[] { 0, 13 }, split);
    }

    [TestMethod]
    public void FromTextsCutsLongTextsSoEveryByteIsATargetOnce()
    {
        string text = new('x', 95);
        var batches = ByteBatches.FromTexts([text], sequenceLength: 20, batchBytes: 40);
        Assert.AreEqual(96, batches.Sum(ByteBatches.CountTargets), "95 bytes + EOS");
        Assert.IsTrue(batches.All(b => b.Length <= 20 && b.Rows <= 2));
        var inference = BltBatch.ForInference([ByteTokenizer.Encode("abc")]);
        var e = Assert.ThrowsExactly<ArgumentException>(() => ByteBatches.Documents(inference));
        StringAssert.Contains(e.Message, "Row 0, document 0");
    }
}
