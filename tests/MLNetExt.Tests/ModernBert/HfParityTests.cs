using MLNetExt.ModernBert;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace MLNetExt.Tests.ModernBert;

/// <summary>
/// Our ModernBERT against Hugging Face transformers on the fixtures in Fixtures/hf (tools/gpu/make_fixtures.py):
/// each folder's HF checkpoint loaded with <see cref="ModernBertCheckpoint"/>, HF's padded inputs run through
/// <see cref="PackedInput.FromPadded"/>, outputs compared at real tokens within 1e-4 of the reference's scale (fp32).
/// </summary>
[TestClass]
public sealed class HfParityTests
{
    const double Tolerance = 1e-4;

    static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "hf", name);

    static Dictionary<string, Tensor> Tensors(string name, string file = "io.safetensors") =>
        Safetensors.LoadStateDict(Path.Combine(Fixture(name), file));

    /// <summary>Largest difference over the reference's largest magnitude, where <paramref name="keep"/> (broadcast) is true.</summary>
    static double RelativeDiff(Tensor ours, Tensor reference, Tensor? keep = null)
    {
        var diff = (ours.to(float64) - reference.to(float64)).abs();
        var scale = reference.to(float64).abs();
        if (keep is not null)
        {
            var mask = keep.to(@bool).expand_as(diff);
            diff = diff.masked_select(mask);
            scale = scale.masked_select(mask);
        }
        return diff.max().item<double>() / Math.Max(scale.max().item<double>(), 1e-12);
    }

    static void AssertClose(Tensor ours, Tensor reference, string what, Tensor? keep = null)
    {
        CollectionAssert.AreEqual(reference.shape, ours.shape, $"{what}: shape");
        double relative = RelativeDiff(ours, reference, keep);
        Assert.IsTrue(relative <= Tolerance, $"{what}: max |ours - HF| is {relative:E2} of max |HF| (allowed {Tolerance:E0})");
    }

    static (PackedInput Input, Tensor RealTokens, Dictionary<string, Tensor> Io) Inputs(string name, ModernBertConfig config)
    {
        var io = Tensors(name);
        var mask = io["attention_mask"];
        return (PackedInput.FromPadded(io["input_ids"], mask, config), mask.unsqueeze(-1), io); // real tokens [B, L, 1]
    }

    [TestMethod]
    public void BaseModel_LastHiddenState_MatchesHf()
    {
        using var model = ModernBertCheckpoint.Load(Path.Combine(Fixture("modernbert_base_model"), "model"), c => new ModernBertModel(c));
        model.eval();
        var (input, real, io) = Inputs("modernbert_base_model", model.Config);
        using var _ = no_grad();
        var hidden = input.Repad(model.call(input)); // [B, L, H]
        AssertClose(hidden, io["last_hidden_state_eager"], "last_hidden_state vs eager", real);
        AssertClose(hidden, io["last_hidden_state_sdpa"], "last_hidden_state vs sdpa", real);
    }

    [TestMethod]
    public void MaskedLM_LogitsAndLoss_MatchHf()
    {
        using var model = ModernBertCheckpoint.Load(Path.Combine(Fixture("modernbert_mlm"), "model"), c => new ModernBertForMaskedLM(c));
        model.eval();
        var (input, real, io) = Inputs("modernbert_mlm", model.Config);
        using var _ = no_grad();
        var logits = input.Repad(model.call(input, null)); // all tokens, full vocabulary: [B, L, V]
        AssertClose(logits, io["logits_eager"], "MLM logits vs eager", real);
        AssertClose(logits, io["logits_sdpa"], "MLM logits vs sdpa", real);
        var loss = model.Loss(input, PackedLabels(io["labels"], io["attention_mask"]));
        AssertClose(loss.reshape(1), io["loss_eager"], "MLM loss");
    }

    [TestMethod]
    public void MaskedLM_Gradients_MatchHfForEveryParameter()
    {
        using var model = ModernBertCheckpoint.Load(Path.Combine(Fixture("modernbert_mlm"), "model"), c => new ModernBertForMaskedLM(c));
        model.train();
        var (input, _, io) = Inputs("modernbert_mlm", model.Config);
        model.Loss(input, PackedLabels(io["labels"], io["attention_mask"])).backward();
        var hfGrads = Tensors("modernbert_mlm", "grads.safetensors");
        var ours = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        CollectionAssert.AreEquivalent(hfGrads.Keys.ToArray(), ours.Keys.ToArray(), "parameter names (HF's tied decoder.weight is tok_embeddings)");
        foreach (var (name, hfGrad) in hfGrads)
        {
            Assert.IsNotNull(ours[name].grad, $"{name}: no gradient");
            AssertClose(ours[name].grad!, hfGrad, $"gradient of {name}");
        }
    }

    [TestMethod]
    [DataRow("modernbert_cls_mean", "mean")]
    [DataRow("modernbert_cls_cls", "cls")]
    public void SequenceClassification_LogitsAndLoss_MatchHf(string fixture, string pooling)
    {
        using var model = ModernBertCheckpoint.Load(Path.Combine(Fixture(fixture), "model"), c => new ModernBertForSequenceClassification(c));
        Assert.AreEqual(pooling, model.Config.ClassifierPooling);
        model.eval();
        var (input, _, io) = Inputs(fixture, model.Config);
        using var _ = no_grad();
        var logits = model.call(input); // [B, num_labels]
        AssertClose(logits, io["logits_eager"], $"{pooling}-pooled logits vs eager");
        AssertClose(logits, io["logits_sdpa"], $"{pooling}-pooled logits vs sdpa");
        AssertClose(model.Loss(input, io["labels"]).reshape(1), io["loss_eager"], $"{pooling}-pooled loss");
    }

    /// <summary>Padded labels [B, L] -> packed [T], in the order FromPadded packs real tokens (row by row).</summary>
    static Tensor PackedLabels(Tensor labels, Tensor attentionMask) =>
        labels.reshape(-1).masked_select(attentionMask.reshape(-1).to(@bool));
}
