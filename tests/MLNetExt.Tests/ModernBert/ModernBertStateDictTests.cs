using MLNetExt.ModernBert;

namespace MLNetExt.Tests.ModernBert;

/// <summary>State-dict keys must be Hugging Face's checkpoint names exactly (Hugging Face transformers' modeling_modernbert.py).</summary>
[TestClass]
public sealed class ModernBertStateDictTests
{
    static IEnumerable<string> EncoderKeys(int layers)
    {
        yield return "embeddings.tok_embeddings.weight";
        yield return "embeddings.norm.weight";
        for (int i = 0; i < layers; i++)
        {
            if (i > 0) yield return $"layers.{i}.attn_norm.weight"; // layer 0's attn_norm is Identity
            yield return $"layers.{i}.attn.Wqkv.weight";
            yield return $"layers.{i}.attn.Wo.weight";
            yield return $"layers.{i}.mlp_norm.weight";
            yield return $"layers.{i}.mlp.Wi.weight";
            yield return $"layers.{i}.mlp.Wo.weight";
        }
        yield return "final_norm.weight";
    }

    static void AssertKeys(IEnumerable<string> expected, TorchSharp.torch.nn.Module module) =>
        CollectionAssert.AreEquivalent(expected.ToList(), module.state_dict().Keys.ToList());

    [TestMethod]
    public void EncoderKeys_AreHuggingFaceNames_WithoutPrefix()
    {
        using var m = new ModernBertModel(TinyModels.Config);
        AssertKeys(EncoderKeys(3), m);
    }

    [TestMethod]
    public void MaskedLMKeys_AreHuggingFaceNames_DecoderWeightTied()
    {
        using var m = new ModernBertForMaskedLM(TinyModels.Config);
        AssertKeys(EncoderKeys(3).Select(k => "model." + k).Concat(["head.dense.weight", "head.norm.weight", "decoder.bias"]), m);
    }

    [TestMethod]
    public void ClassificationKeys_AreHuggingFaceNames()
    {
        var expected = EncoderKeys(3).Select(k => "model." + k).Concat(["head.dense.weight", "head.norm.weight", "classifier.weight", "classifier.bias"]).ToList();
        using var seq = new ModernBertForSequenceClassification(TinyModels.Config);
        using var tok = new ModernBertForTokenClassification(TinyModels.Config);
        AssertKeys(expected, seq);
        AssertKeys(expected, tok);
    }

    [TestMethod]
    public void Shapes_FollowHuggingFace_FusedQkvAndGeGlu()
    {
        var c = TinyModels.Config;
        using var m = new ModernBertForMaskedLM(c);
        var sd = m.state_dict();
        CollectionAssert.AreEqual(new long[] { 3 * c.HiddenSize, c.HiddenSize }, sd["model.layers.1.attn.Wqkv.weight"].shape);
        CollectionAssert.AreEqual(new long[] { 2 * c.IntermediateSize, c.HiddenSize }, sd["model.layers.1.mlp.Wi.weight"].shape);
        CollectionAssert.AreEqual(new long[] { c.HiddenSize, c.IntermediateSize }, sd["model.layers.1.mlp.Wo.weight"].shape);
        CollectionAssert.AreEqual(new long[] { c.VocabSize }, sd["decoder.bias"].shape);
    }

    [TestMethod]
    public void Init_TruncatedNormalWithHuggingFaceStds()
    {
        var c = ModernBertConfig.Tiny with { HiddenSize = 128, IntermediateSize = 256, NumAttentionHeads = 4, VocabSize = 512 };
        using var m = new ModernBertForSequenceClassification(c);
        var sd = m.state_dict();
        double outStd = c.InitializerRange / Math.Sqrt(2.0 * c.NumHiddenLayers);
        var wo = sd["model.layers.1.mlp.Wo.weight"];
        Assert.IsTrue(wo.abs().max().item<float>() <= 2 * outStd + 1e-7, "cut at 2 std");
        var wqkv = sd["model.layers.1.attn.Wqkv.weight"];
        Assert.IsTrue(wqkv.abs().max().item<float>() <= 2 * c.InitializerRange + 1e-7);
        Assert.IsTrue(wqkv.std().item<float>() > 0.6 * c.InitializerRange, "not all zeros or tiny");
        Assert.IsTrue(sd["classifier.weight"].abs().max().item<float>() > 2 * c.InitializerRange, "classifier uses hidden^-0.5");
        Assert.AreEqual(0f, sd["classifier.bias"].abs().sum().item<float>());
        Assert.AreEqual(1f, sd["model.final_norm.weight"].mean().item<float>());
    }
}
