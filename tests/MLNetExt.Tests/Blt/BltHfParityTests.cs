using MLNetExt.Blt;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace MLNetExt.Tests.Blt;

/// <summary>
/// Our BLT against Hugging Face's BltForCausalLM on Fixtures/hf/blt_causal_lm (tools/gpu/make_fixtures.py): the
/// HF checkpoint loaded with <see cref="BltCheckpoint"/>, then per text (caseN.*) the entropy model's entropies,
/// the patch lengths, next-byte logits (entropy patches and one-byte patches), the loss, and the gradients of the
/// first text's loss, within 1e-4 of the reference's scale (fp32).
/// Logits are compared at positions 0..S-2: at a sequence's last position HF assumes the patch continues, while ours
/// reads the entropy of the last byte (src/Blt.MLNet/README.md, "Decoder patch"); the loss only uses those positions.
/// </summary>
[TestClass]
public sealed class BltHfParityTests
{
    const double Tolerance = 1e-4;
    const int Cases = 3;

    static readonly string Fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", "hf", "blt_causal_lm");

    static BltModel Load() => BltCheckpoint.Load(Path.Combine(Fixture, "model"));

    static Dictionary<string, Tensor> Tensors(string file) => Safetensors.LoadStateDict(Path.Combine(Fixture, file));

    static void AssertClose(Tensor ours, Tensor reference, string what)
    {
        CollectionAssert.AreEqual(reference.shape, ours.shape, $"{what}: shape");
        var diff = (ours.to(float64) - reference.to(float64)).abs().max().item<double>();
        var scale = Math.Max(reference.to(float64).abs().max().item<double>(), 1e-12);
        Assert.IsTrue(diff / scale <= Tolerance, $"{what}: max |ours - HF| is {diff / scale:E2} of max |HF| (allowed {Tolerance:E0})");
    }

    /// <summary>Logits (1, S, 260) of the whole sequence as one inference document, patched by our model.</summary>
    static Tensor Logits(BltModel model, Tensor ids) => model.call(BltBatch.ForInference([ids[0].data<long>().ToArray()]));

    /// <summary>HF's causal-LM loss: logits at 0..S-2 against ids 1..S-1.</summary>
    static Tensor ShiftedLoss(Tensor logits, Tensor ids)
    {
        long s = ids.shape[1];
        return nn.functional.cross_entropy(logits[0, ..(int)(s - 1)].to(float32), ids[0, 1..]);
    }

    [TestMethod]
    public void EntropiesAndPatchLengths_MatchHf()
    {
        using var model = Load();
        model.eval();
        var io = Tensors("io.safetensors");
        for (int c = 0; c < Cases; c++)
        {
            var ids = io[$"case{c}.input_ids"];
            var batch = BltBatch.ForInference([ids[0].data<long>().ToArray()]);
            using var _ = no_grad();
            AssertClose(model.EntropyModel!.Entropies(batch), io[$"case{c}.patcher_entropies"], $"case {c} entropies");
            var hfLengths = io[$"case{c}.patch_lengths"][0].data<long>().Where(n => n > 0).Select(n => (int)n).ToArray();
            CollectionAssert.AreEqual(hfLengths, model.Patch(batch).PatchLengths[0], $"case {c} patch lengths");
        }
    }

    [TestMethod]
    public void LogitsAndLoss_MatchHf()
    {
        using var model = Load();
        model.eval();
        var io = Tensors("io.safetensors");
        for (int c = 0; c < Cases; c++)
        {
            var ids = io[$"case{c}.input_ids"];
            long s = ids.shape[1];
            using var _ = no_grad();
            var logits = Logits(model, ids);
            AssertClose(logits[.., ..(int)(s - 1)], io[$"case{c}.logits"][.., ..(int)(s - 1)], $"case {c} logits");
            AssertClose(ShiftedLoss(logits, ids).reshape(1), io[$"case{c}.loss"], $"case {c} loss");
        }
    }

    [TestMethod]
    public void LogitsWithOneBytePatches_MatchHf()
    {
        using var model = Load();
        model.eval();
        var io = Tensors("io.safetensors");
        for (int c = 0; c < Cases; c++)
        {
            var ids = io[$"case{c}.input_ids"];
            long s = ids.shape[1];
            var batch = BltBatch.ForInference([ids[0].data<long>().ToArray()]);
            // Every byte starts a patch, and so would the byte after the sequence: HF's patch_lengths of ones.
            var layout = new PatchLayout(batch, [[Enumerable.Repeat(true, (int)s + 1).ToArray()]]);
            using var _ = no_grad();
            var logits = model.Forward(batch, layout);
            AssertClose(logits[.., ..(int)(s - 1)], io[$"case{c}.logits_unit_patches"][.., ..(int)(s - 1)], $"case {c} logits, one-byte patches");
        }
    }

    [TestMethod]
    public void Gradients_MatchHfForEveryTrainedParameter()
    {
        using var model = Load();
        model.train();
        var io = Tensors("io.safetensors");
        var ids = io["case0.input_ids"];
        ShiftedLoss(Logits(model, ids), ids).backward();
        var hfGrads = Tensors("grads.safetensors");
        var trained = model.named_parameters().Where(p => p.parameter.requires_grad).ToDictionary(p => p.name, p => p.parameter);
        CollectionAssert.AreEquivalent(hfGrads.Keys.ToArray(), trained.Keys.ToArray(), "trained parameters (HF freezes the patcher, as we do)");
        foreach (var (name, hfGrad) in hfGrads)
        {
            Assert.IsNotNull(trained[name].grad, $"{name}: no gradient");
            AssertClose(trained[name].grad!, hfGrad, $"gradient of {name}");
        }
    }
}
