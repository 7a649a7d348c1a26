using MLNetExt.ModernBert;
using static TorchSharp.torch;

namespace MLNetExt.Tests.ModernBert;

[TestClass]
public sealed class ModernBertHeadTests
{
    [TestMethod]
    public void MaskedLMLoss_SparseHead_EqualsDenseCrossEntropyOverLabelledTokens()
    {
        manual_seed(1);
        using var m = new ModernBertForMaskedLM(TinyModels.Config);
        m.eval();
        using var input = TinyModels.Pack(m.Config, TinyModels.RandomTokens(10, 1), TinyModels.RandomTokens(7, 2));
        var labels = full(input.TokenCount, -100L);
        labels[2] = tensor(5L); labels[12] = tensor(9L); labels[16] = tensor(33L);
        using var _ = no_grad();
        var loss = m.Loss(input, labels).item<float>();
        var all = m.call(input, null); // [T, V]
        var idx = tensor(new long[] { 2, 12, 16 });
        var want = nn.functional.cross_entropy(all.index_select(0, idx), tensor(new long[] { 5, 9, 33 })).item<float>();
        Assert.AreEqual(want, loss, 1e-5);
        CollectionAssert.AreEqual(new long[] { 3, TinyModels.Config.VocabSize }, m.call(input, idx).shape);
    }

    [TestMethod]
    public void MeanPooling_PaddingNeverLeaks()
    {
        manual_seed(2);
        var config = TinyModels.Config with { ClassifierPooling = "mean", NumLabels = 3 };
        using var m = new ModernBertForSequenceClassification(config);
        m.eval();
        var a = TinyModels.RandomTokens(9, 3);
        var b = TinyModels.RandomTokens(4, 4);
        using var _ = no_grad();
        var packed = m.call(TinyModels.Pack(config, a, b));
        var alone = m.call(TinyModels.Pack(config, b));
        Assert.IsTrue(TinyModels.MaxAbsDiff(packed[1], alone[0]) < 1e-5, "b pooled with a beside it equals b alone");
        foreach (long padValue in new long[] { 0, 17 })
        {
            var ids = full(2, 9, padValue);
            var mask = zeros(2, 9, int64);
            ids[0] = tensor(a); mask[0] = ones(9, int64);
            ids[1].narrow(0, 0, 4).copy_(tensor(b)); mask[1].narrow(0, 0, 4).fill_(1);
            var padded = m.call(PackedInput.FromPadded(ids, mask, config));
            Assert.IsTrue(TinyModels.MaxAbsDiff(padded, packed) < 1e-5, $"padding value {padValue} changed the pooled logits");
        }
    }

    [TestMethod]
    public void ClsPooling_UsesEachSequencesFirstToken()
    {
        manual_seed(3);
        var config = TinyModels.Config with { ClassifierPooling = "cls" };
        using var m = new ModernBertForSequenceClassification(config);
        m.eval();
        var a = TinyModels.RandomTokens(6, 5);
        var b = TinyModels.RandomTokens(8, 6);
        using var _ = no_grad();
        var both = m.call(TinyModels.Pack(config, a, b));
        Assert.IsTrue(TinyModels.MaxAbsDiff(both[1], m.call(TinyModels.Pack(config, b))[0]) < 1e-5);
    }

    [TestMethod]
    public void SequenceLosses_CrossEntropyForClasses_MseForRegression()
    {
        manual_seed(4);
        using var input = TinyModels.Pack(TinyModels.Config, TinyModels.RandomTokens(5, 1), TinyModels.RandomTokens(3, 2));
        using var clf = new ModernBertForSequenceClassification(TinyModels.Config with { NumLabels = 3 });
        clf.eval();
        var labels = tensor(new long[] { 2, 0 });
        Assert.AreEqual(nn.functional.cross_entropy(clf.call(input), labels).item<float>(), clf.Loss(input, labels).item<float>(), 1e-6);

        using var reg = new ModernBertForSequenceClassification(TinyModels.Config with { NumLabels = 1 });
        reg.eval();
        var targets = tensor(new float[] { 0.5f, -1f });
        var pred = reg.call(input).squeeze(1);
        Assert.AreEqual((pred - targets).pow(2).mean().item<float>(), reg.Loss(input, targets).item<float>(), 1e-6);
        Assert.ThrowsExactly<ArgumentException>(() => reg.Loss(input, tensor(new float[] { 1f })));
    }

    [TestMethod]
    public void TokenClassification_LogitsPerToken_LossIgnoresMinus100()
    {
        manual_seed(5);
        using var m = new ModernBertForTokenClassification(TinyModels.Config with { NumLabels = 4 });
        m.eval();
        using var input = TinyModels.Pack(m.Config, TinyModels.RandomTokens(5, 1), TinyModels.RandomTokens(3, 2));
        var logits = m.call(input);
        CollectionAssert.AreEqual(new long[] { 8, 4 }, logits.shape);
        var labels = tensor(new long[] { 1, -100, 3, -100, -100, 0, -100, 2 });
        var keep = tensor(new long[] { 0, 2, 5, 7 });
        var want = nn.functional.cross_entropy(logits.index_select(0, keep), tensor(new long[] { 1, 3, 0, 2 })).item<float>();
        Assert.AreEqual(want, m.Loss(input, labels).item<float>(), 1e-6);
    }
}
