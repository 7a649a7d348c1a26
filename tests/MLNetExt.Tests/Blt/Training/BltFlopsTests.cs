using MLNetExt.Blt;
using MLNetExt.Blt.Training;

namespace MLNetExt.Tests.Blt.Training;

[TestClass]
public sealed class BltFlopsTests
{
    [TestMethod]
    public void LatentFlopsPerByteFollowThePatchLayout()
    {
        // Static patches of 3 bytes after BOS: a long document has ~3 bytes per patch; halving the patch size
        // roughly doubles the latent model's FLOPs per byte while the byte-level stages barely move.
        var batch = ByteBatches.FromTexts([new string('a', 299)], sequenceLength: 300, batchBytes: 300)[0];
        BltFlopsPerByte Flops(int patchSize)
        {
            var config = TinyBlt.Config(PatchingMode.Static) with { PatchSize = patchSize, PatchInForward = false };
            using var model = new BltModel(config);
            return BltFlops.PerByte(config, batch, model.Patch(batch));
        }
        var three = Flops(3);
        var six = Flops(6);
        Assert.AreEqual(300.0 / (1 + 100), three.MeanPatchSize, 1e-9, "300 input bytes: BOS alone, then 100 patches of 3 over the 299 others");
        Assert.AreEqual(0, three.Entropy);
        double ratio = three.Latent / six.Latent;
        Assert.IsTrue(ratio is > 1.9 and < 2.3, $"latent ratio {ratio}");
        Assert.AreEqual(three.Encoder, six.Encoder, three.Encoder * 0.1);
        Assert.AreEqual(three.Total, new BltTask(TinyBlt.Config(PatchingMode.Static) with { PatchSize = 3, PatchInForward = false }, null).FlopsPerToken(batch), 1e-6 * three.Total);
    }

    [TestMethod]
    public void MeanContextCountsCausalAndWindowedKeys()
    {
        Assert.AreEqual(2.5, TransformerFlops.MeanContext([4], null), 1e-12);               // (1+2+3+4)/4
        Assert.AreEqual((1 + 2 + 2 + 2) / 4.0, TransformerFlops.MeanContext([4], 2), 1e-12);
        Assert.AreEqual((1 + 1 + 2) / 3.0, TransformerFlops.MeanContext([1, 2], null), 1e-12);
    }

    [TestMethod]
    public void EntropyPatchingCountsFlopsFromTheTrainingForwardWithoutRunningTheEntropyModelAgain()
    {
        var blt = TinyBlt.Model();
        var task = new BltTask(blt.Config, blt.EntropyModel);
        using var replica = task.CreateModel(TorchSharp.torch.CPU);
        blt.Dispose();   // per-step FLOP counting must not touch the entropy model (it would run it again)
        var batch = BltBatch.FromDocuments([ByteTokenizer.Encode("some text to patch, then train on", addBos: true, addEos: true)]);
        Assert.IsTrue(double.IsNaN(task.FlopsPerToken(batch)), "nothing trained yet");
        using (TorchSharp.torch.NewDisposeScope()) task.Loss(replica, batch, TorchSharp.torch.CPU);
        double expected;
        using (TorchSharp.torch.NewDisposeScope()) expected = BltFlops.PerByte(replica.Config, batch, replica.Patch(batch)).Total;
        Assert.AreEqual(expected, task.FlopsPerToken(batch), 1e-9 * expected);
    }
}
