using MLNetExt.ModernBert;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace MLNetExt.Tests.ModernBert;

[TestClass]
public sealed class ModernBertCheckpointTests
{
    [TestCleanup]
    public void Cleanup() => TinyModels.DeleteTempDirs();

    static Tensor Logits(ModernBertForMaskedLM m)
    {
        m.eval();
        using var _ = no_grad();
        return m.call(TinyModels.Pack(m.Config, TinyModels.RandomTokens(11, 1), TinyModels.RandomTokens(6, 2)), null);
    }

    [TestMethod]
    public void SaveThenLoad_GivesEqualOutputs_AndCopiesTokenizerFiles()
    {
        string source = TinyModels.TempDir(), dir = TinyModels.TempDir();
        File.WriteAllText(Path.Combine(source, "tokenizer.json"), "{}");
        manual_seed(1);
        using var model = new ModernBertForMaskedLM(TinyModels.Config);
        ModernBertCheckpoint.Save(model, dir, tokenizerSource: source);
        using var loaded = ModernBertCheckpoint.Load(dir, c => new ModernBertForMaskedLM(c));
        Assert.AreEqual(0f, TinyModels.MaxAbsDiff(Logits(model), Logits(loaded)));
        Assert.IsTrue(File.Exists(Path.Combine(dir, "tokenizer.json")));
        StringAssert.Contains(File.ReadAllText(Path.Combine(dir, "config.json")), "\"ModernBertForMaskedLM\"");
        Assert.AreEqual(model.Config, ModernBertCheckpoint.LoadConfig(dir) with { LayerTypes = model.Config.LayerTypes });
        var stored = Safetensors.LoadStateDict(Path.Combine(dir, "model.safetensors")).Keys.ToHashSet();
        Assert.IsFalse(stored.Contains("decoder.weight"), "the tied decoder weight is not stored, as in HF checkpoints");
        Assert.IsTrue(stored.Contains("decoder.bias"));
    }

    [TestMethod]
    public void Bf16Safetensors_LoadIntoFloat32Model()
    {
        string dir = TinyModels.TempDir();
        manual_seed(2);
        using var model = new ModernBertForMaskedLM(TinyModels.Config);
        File.WriteAllText(Path.Combine(dir, "config.json"), ModernBertConfigJson.ToJson(model.Config, "ModernBertForMaskedLM"));
        Safetensors.SaveStateDict(Path.Combine(dir, "model.safetensors"), model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.to(bfloat16)));
        using var loaded = ModernBertCheckpoint.Load(dir, c => new ModernBertForMaskedLM(c));
        var w = loaded.state_dict()["model.layers.1.attn.Wqkv.weight"];
        Assert.AreEqual(float32, w.dtype);
        Assert.AreEqual(0f, TinyModels.MaxAbsDiff(w, model.state_dict()["model.layers.1.attn.Wqkv.weight"].to(bfloat16).to(float32)));
    }

    [TestMethod]
    public void MisShapedTensor_ErrorNamesTensorAndBothShapes()
    {
        string dir = TinyModels.TempDir();
        using var model = new ModernBertForSequenceClassification(TinyModels.Config with { NumLabels = 3 });
        ModernBertCheckpoint.Save(model, dir);
        var e = Assert.ThrowsExactly<InvalidDataException>(() =>
            ModernBertCheckpoint.Load(dir, c => new ModernBertForSequenceClassification(c with { NumLabels = 5 })));
        StringAssert.Contains(e.Message, "classifier.weight: model expects [5, 32], checkpoint has [3, 32]");
        StringAssert.Contains(e.Message, "classifier.bias: model expects [5], checkpoint has [3]");
    }

    [TestMethod]
    public void MissingAndUnexpectedTensors_ListedWhenStrict_ReportedWhenNot()
    {
        string dir = TinyModels.TempDir();
        using var mlm = new ModernBertForMaskedLM(TinyModels.Config);
        ModernBertCheckpoint.Save(mlm, dir);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ModernBertCheckpoint.Load(dir, c => new ModernBertForSequenceClassification(c)));
        StringAssert.Contains(e.Message, "classifier.weight: model expects [2, 32], missing from the checkpoint");
        StringAssert.Contains(e.Message, "decoder.bias: not in the model");

        using var clf = new ModernBertForSequenceClassification(TinyModels.Config);
        var report = ModernBertCheckpoint.LoadWeights(clf, Path.Combine(dir, "model.safetensors"), strict: false);
        CollectionAssert.AreEquivalent(new[] { "classifier.weight", "classifier.bias" }, report.Missing.ToArray());
        CollectionAssert.AreEquivalent(new[] { "decoder.bias" }, report.Unexpected.ToArray());
        Assert.AreEqual(0f, TinyModels.MaxAbsDiff(clf.state_dict()["model.layers.2.mlp.Wi.weight"], mlm.state_dict()["model.layers.2.mlp.Wi.weight"]));
    }

    [TestMethod]
    public void UnprefixedBaseCheckpoint_LoadsIntoAHead()
    {
        string dir = TinyModels.TempDir();
        manual_seed(3);
        using var encoder = new ModernBertModel(TinyModels.Config);
        ModernBertCheckpoint.Save(encoder, dir);
        using var clf = new ModernBertForTokenClassification(TinyModels.Config);
        var report = ModernBertCheckpoint.LoadWeights(clf, Path.Combine(dir, "model.safetensors"), strict: false);
        Assert.AreEqual(0, report.Unexpected.Count);
        Assert.AreEqual(0f, TinyModels.MaxAbsDiff(clf.state_dict()["model.embeddings.tok_embeddings.weight"], encoder.state_dict()["embeddings.tok_embeddings.weight"]));
        using var back = ModernBertCheckpoint.Load(dir, c => new ModernBertModel(c));
        Assert.AreEqual(0f, TinyModels.MaxAbsDiff(back.state_dict()["final_norm.weight"], encoder.state_dict()["final_norm.weight"]));
    }

    [TestMethod]
    public void TruncatedOrCorruptFile_ClearError_MissingFile_Named()
    {
        string dir = TinyModels.TempDir();
        using var model = new ModernBertForMaskedLM(TinyModels.Config);
        ModernBertCheckpoint.Save(model, dir);
        string path = Path.Combine(dir, "model.safetensors");
        var bytes = File.ReadAllBytes(path);

        File.WriteAllBytes(path, bytes[..(bytes.Length - 100)]);
        var truncated = Assert.ThrowsExactly<InvalidDataException>(() => ModernBertCheckpoint.Load(dir, c => new ModernBertForMaskedLM(c)));
        StringAssert.Contains(truncated.Message, "truncated");

        File.WriteAllBytes(path, [.. BitConverter.GetBytes(20L), .. "{ not json at all !!"u8.ToArray()]);
        var garbage = Assert.ThrowsExactly<InvalidDataException>(() => ModernBertCheckpoint.Load(dir, c => new ModernBertForMaskedLM(c)));
        StringAssert.Contains(garbage.Message, "Corrupt safetensors file");

        File.WriteAllBytes(path, BitConverter.GetBytes(1L << 40));
        Assert.ThrowsExactly<InvalidDataException>(() => ModernBertCheckpoint.Load(dir, c => new ModernBertForMaskedLM(c)));

        File.Delete(path);
        var missing = Assert.ThrowsExactly<FileNotFoundException>(() => ModernBertCheckpoint.Load(dir, c => new ModernBertForMaskedLM(c)));
        StringAssert.Contains(missing.Message, "model.safetensors");
        File.Delete(Path.Combine(dir, "config.json"));
        StringAssert.Contains(Assert.ThrowsExactly<FileNotFoundException>(() => ModernBertCheckpoint.LoadConfig(dir)).Message, "config.json");
    }
}
