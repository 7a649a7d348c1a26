using Microsoft.ML;
using MLNetExt.Blt;
using MLNetExt.Blt.MLNet;
using MLNetExt.Tests.Blt.Training;

namespace MLNetExt.Tests.Blt.MLNet;

[TestClass]
public sealed class BltBitsPerByteTests
{
    static BltBitsPerByteOptions Quick(int epochs = 3) => BltMLNetData.BitsPerByte(epochs) with { SequenceLength = 64, MaxBytes = 200, LearningRate = 1e-2 };

    [TestMethod]
    public void BitsPerByteEqualsTheCoreModelLossOfEachRow()
    {
        TorchSharp.torch.set_num_threads(1);
        var ml = new MLContext(seed: 1);
        var texts = TinyCorpus.Texts(24, seed: 1);
        var transformer = ml.Transforms.Text.BltBitsPerByte(Quick(epochs: 1)).Fit(BltMLNetData.Texts(ml, texts));
        var probe = BltMLNetData.OddTexts.Concat(TinyCorpus.Texts(4, seed: 2)).ToArray();
        var scores = ml.Data.CreateEnumerable<BitsRow>(transformer.Transform(BltMLNetData.Texts(ml, probe)), reuseRowObject: false).ToArray();
        Assert.AreEqual(1L, transformer.ModelCalls);
        for (int i = 0; i < probe.Length; i++)
        {
            double expected = transformer.Model.BitsPerByte(BltBatch.FromDocuments([ByteTokenizer.Encode(probe[i], addBos: true, addEos: true)]));
            Assert.AreEqual(expected, scores[i].BitsPerByte, 1e-4, $"row {i}");
        }
    }

    [TestMethod]
    public void FittingOnTextMakesThatTextLessSurprisingThanOtherBytes()
    {
        TorchSharp.torch.set_num_threads(1);
        var ml = new MLContext(seed: 1);
        var transformer = ml.Transforms.Text.BltBitsPerByte(Quick(epochs: 4)).Fit(BltMLNetData.Texts(ml, TinyCorpus.Texts(48, seed: 1)));
        var rng = new Random(5);
        var noise = Enumerable.Range(0, 8).Select(_ => new string(Enumerable.Range(0, 60).Select(_ => (char)rng.Next(33, 127)).ToArray()));
        double Mean(IEnumerable<string> texts) => ml.Data.CreateEnumerable<BitsRow>(transformer.Transform(BltMLNetData.Texts(ml, texts)), false).Average(r => r.BitsPerByte);
        double inDomain = Mean(TinyCorpus.Texts(8, seed: 9)), outOfDomain = Mean(noise);
        Assert.IsLessThan(outOfDomain - 1, inDomain, $"in-domain {inDomain:F3} vs noise {outOfDomain:F3} bits per byte");
    }
}
