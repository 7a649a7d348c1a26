using System.Globalization;
using MLNetExt.ModernBert;
using MLNetExt.Tests.Training;

namespace MLNetExt.Tests.ModernBert;

/// <summary>A Hugging Face folder is untrusted input: damaged weights and absurd configs fail fast, naming file, key and tensor.</summary>
[TestClass]
public sealed class ModernBertUntrustedFolderTests
{
    const string Tensor = "embeddings.tok_embeddings.weight";   // [64, 32]

    [TestCleanup]
    public void Cleanup() => TinyModels.DeleteTempDirs();

    static string Folder()
    {
        string dir = TinyModels.TempDir();
        using var model = new ModernBertModel(TinyModels.Config);
        ModernBertCheckpoint.Save(model, dir);
        return dir;
    }

    [TestMethod]
    [DataRow(Tampering.Truncated)]
    [DataRow(Tampering.ShortOffsets)]
    [DataRow(Tampering.ShiftedOffsets)]
    [DataRow(Tampering.HalfDtype)]
    [DataRow(Tampering.IntegerDtype)]
    [DataRow(Tampering.Transposed)]
    public void DamagedWeights_ErrorNamesFileAndTensor(string damage)
    {
        string dir = Folder(), weights = Path.Combine(dir, ModernBertCheckpoint.WeightsFile);
        File.WriteAllBytes(weights, Tampering.Damage(File.ReadAllBytes(weights), damage, Tensor));
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ModernBertCheckpoint.Load(dir, c => new ModernBertModel(c)));
        StringAssert.Contains(e.Message, weights);
        if (damage == Tampering.Truncated) StringAssert.Contains(e.Message, "truncated");
        else StringAssert.Contains(e.Message, Tensor);
        if (damage == Tampering.Transposed) StringAssert.Contains(e.Message, $"{Tensor}: model expects [64, 32], checkpoint has [32, 64]");
    }

    [TestMethod]
    [DataRow("num_hidden_layers", 1_000_000)]
    [DataRow("hidden_size", 1_000_000_000)]
    [DataRow("vocab_size", int.MaxValue)]
    public void AbsurdConfigSize_FailsBeforeAnyModuleIsBuilt_NamingFileKeyAndValue(string key, int value)
    {
        string dir = Folder(), config = Path.Combine(dir, ModernBertCheckpoint.ConfigFile);
        Tampering.EditJson(config, j => { j.Remove("layer_types"); j[key] = value; });
        int built = 0;
        string messages = Tampering.FailsWithoutAllocating(() => ModernBertCheckpoint.Load(dir, c => { built++; return new ModernBertModel(c); }));
        Assert.AreEqual(0, built, "no module may be built from an absurd config");
        StringAssert.Contains(messages, config);
        StringAssert.Contains(messages, $"'{key}'");
        StringAssert.Contains(messages, value.ToString(CultureInfo.InvariantCulture));
    }

    [TestMethod]
    public void ConfigBiggerThanItsWeights_FailsBeforeAnyModuleIsBuilt_NamingBothFilesAndCounts()
    {
        string dir = Folder(), config = Path.Combine(dir, ModernBertCheckpoint.ConfigFile);
        Tampering.EditJson(config, j => { j.Remove("layer_types"); j["num_hidden_layers"] = 200; });
        int built = 0;
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ModernBertCheckpoint.Load(dir, c => { built++; return new ModernBertModel(c); }));
        Assert.AreEqual(0, built);
        long implied = (TinyModels.Config with { NumHiddenLayers = 200 }).EncoderParameterCount();
        StringAssert.Contains(e.Message, $"{config} describes a model of {implied.ToString("N0", CultureInfo.InvariantCulture)} parameters");
        StringAssert.Contains(e.Message, $"{Path.Combine(dir, ModernBertCheckpoint.WeightsFile)} holds only");
    }

    [TestMethod]
    public void ModelTooBigForMemory_IsRefusedBeforeAnyModuleIsBuilt()
    {
        string dir = Folder(), config = Path.Combine(dir, ModernBertCheckpoint.ConfigFile);
        // Every key within its bound, but 2^24 x 65536 token embeddings alone are 4 TiB of float32.
        Tampering.EditJson(config, j => { j.Remove("layer_types"); j["vocab_size"] = 1 << 24; j["hidden_size"] = 65536; j["num_attention_heads"] = 512; });
        int built = 0;
        string messages = Tampering.FailsWithoutAllocating(() => ModernBertCheckpoint.Load(dir, c => { built++; return new ModernBertModel(c); }));
        Assert.AreEqual(0, built);
        StringAssert.Contains(messages, config);
        StringAssert.Contains(messages, "GiB in float32");
        StringAssert.Contains(messages, "of memory");
    }
}
