using System.Text;
using Microsoft.ML;
using MLNetExt.Blt;
using MLNetExt.Blt.MLNet;
using MLNetExt.Tests.Blt.MLNet;
using MLNetExt.Tests.MLNet;
using MLNetExt.Tests.Training;

namespace MLNetExt.Tests.Blt;

/// <summary>BLT folders and saved zips are untrusted input: damage fails fast, naming the file or zip entry, and the tensor or key.</summary>
[TestClass]
public sealed class BltUntrustedFilesTests
{
    const string Tensor = "model.encoder_hash_tok_embedding.weight";   // [366, 32]

    static string Folder(PersistenceTests.TempDir dir)
    {
        using var model = TinyBlt.Model();
        string folder = dir.File("blt");
        BltCheckpoint.Save(model, folder);
        return folder;
    }

    static string SavedZip(PersistenceTests.TempDir dir)
    {
        var ml = new MLContext(seed: 1);
        var data = BltMLNetData.Texts(ml, ["abc"]);
        var model = ml.Transforms.Text.BltEmbeddings(new BltEmbeddingsOptions { Model = TinyBlt.Model(), MaxBytes = 256 }).Fit(data);
        string zip = dir.File("model.zip");
        ml.Model.Save(model, data.Schema, zip);
        return zip;
    }

    static string Load(string zip) => Tampering.Messages(Assert.Throws<Exception>(() => new MLContext(seed: 2).Model.Load(zip, out _)));

    static void AssertNamesTensor(string messages, string damage)
    {
        if (damage == Tampering.Truncated) StringAssert.Contains(messages, "truncated");
        else StringAssert.Contains(messages, Tensor);
        if (damage == Tampering.Transposed) StringAssert.Contains(messages, $"{Tensor}: model expects [366, 32], checkpoint has [32, 366]");
    }

    [TestMethod]
    [DataRow(Tampering.Truncated)]
    [DataRow(Tampering.ShortOffsets)]
    [DataRow(Tampering.ShiftedOffsets)]
    [DataRow(Tampering.HalfDtype)]
    [DataRow(Tampering.IntegerDtype)]
    [DataRow(Tampering.Transposed)]
    public void DamagedWeightsFile_ErrorNamesFileAndTensor(string damage)
    {
        using var dir = new PersistenceTests.TempDir();
        string folder = Folder(dir), weights = Path.Combine(folder, BltCheckpoint.WeightsFile);
        File.WriteAllBytes(weights, Tampering.Damage(File.ReadAllBytes(weights), damage, Tensor));
        var e = Assert.ThrowsExactly<InvalidDataException>(() => BltCheckpoint.Load(folder));
        StringAssert.Contains(e.Message, weights);
        AssertNamesTensor(e.Message, damage);
    }

    [TestMethod]
    [DataRow(Tampering.Truncated)]
    [DataRow(Tampering.ShortOffsets)]
    [DataRow(Tampering.ShiftedOffsets)]
    [DataRow(Tampering.HalfDtype)]
    [DataRow(Tampering.IntegerDtype)]
    [DataRow(Tampering.Transposed)]
    public void DamagedWeightsEntry_ErrorNamesZipEntryAndTensor(string damage)
    {
        using var dir = new PersistenceTests.TempDir();
        string zip = SavedZip(dir), entry = Tampering.EntryName(zip, "/Weights.safetensors");
        Tampering.RewriteEntry(zip, "/Weights.safetensors", bytes => Tampering.Damage(bytes, damage, Tensor));
        string messages = Load(zip);
        StringAssert.Contains(messages, $"entry '{entry}' of model zip '{zip}'");
        AssertNamesTensor(messages, damage);
    }

    [TestMethod]
    public void TruncatedConfigFile_ErrorNamesTheFile()
    {
        using var dir = new PersistenceTests.TempDir();
        string config = Path.Combine(Folder(dir), BltCheckpoint.ConfigFile);
        File.WriteAllText(config, File.ReadAllText(config)[..200]);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => BltCheckpoint.Load(Path.GetDirectoryName(config)!));
        StringAssert.Contains(e.Message, $"{config} is not valid JSON");
    }

    [TestMethod]
    public void TruncatedConfigEntry_ErrorNamesZipAndEntry()
    {
        using var dir = new PersistenceTests.TempDir();
        string zip = SavedZip(dir), entry = Tampering.EntryName(zip, "/Config.json");
        Tampering.RewriteEntry(zip, "/Config.json", bytes => bytes[..200]);
        StringAssert.Contains(Load(zip), $"entry '{entry}' of model zip '{zip}'");
    }

    [TestMethod]
    public void AbsurdGlobalLayerCount_FailsBeforeBuilding_NamingFileAndKey()
    {
        using var dir = new PersistenceTests.TempDir();
        string config = Path.Combine(Folder(dir), BltCheckpoint.ConfigFile);
        Tampering.EditJson(config, j => j["global_config"]!["num_hidden_layers"] = 1_000_000);
        string messages = Tampering.FailsWithoutAllocating(() => BltCheckpoint.Load(Path.GetDirectoryName(config)!));
        StringAssert.Contains(messages, config);
        StringAssert.Contains(messages, "global_config.num_hidden_layers must be in [1, 1024], got 1000000");
    }

    [TestMethod]
    public void AbsurdGlobalLayerCountInConfigEntry_FailsBeforeBuilding_NamingZipEntryAndKey()
    {
        using var dir = new PersistenceTests.TempDir();
        string zip = SavedZip(dir), entry = Tampering.EntryName(zip, "/Config.json");
        Tampering.EditJsonEntry(zip, "/Config.json", j => j["global_config"]!["num_hidden_layers"] = 1_000_000);
        string messages = Tampering.FailsWithoutAllocating(() => new MLContext(seed: 2).Model.Load(zip, out _));
        StringAssert.Contains(messages, $"entry '{entry}' of model zip '{zip}'");
        StringAssert.Contains(messages, "global_config.num_hidden_layers must be in [1, 1024], got 1000000");
    }

    [TestMethod]
    public void MaxBytesBeyondTheModelsBytePositions_IsRefusedNamingTheOption()
    {
        var ml = new MLContext(seed: 1);
        var data = BltMLNetData.Texts(ml, ["abc"]);
        var estimator = ml.Transforms.Text.BltEmbeddings(new BltEmbeddingsOptions { Model = TinyBlt.Model(), MaxBytes = 100_000 });
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => estimator.Fit(data));
        Assert.AreEqual("MaxBytes", e.ParamName);
        StringAssert.Contains(e.Message, "patcher_config.max_position_embeddings");   // TinyBlt's patcher sees 8192 bytes, its stacks 24576
        StringAssert.Contains(e.Message, "use MaxBytes <= 8191");
    }

    [TestMethod]
    public void MaxBytesBeyondTheModelsBytePositionsInInputEntry_IsRefusedNamingTheOption()
    {
        using var dir = new PersistenceTests.TempDir();
        string zip = SavedZip(dir);
        Tampering.EditJsonEntry(zip, "/Input.json", j => j["MaxBytes"] = 100_000);
        StringAssert.Contains(Load(zip), "MaxBytes 100000 plus BOS exceeds the model's 8192 byte positions");
    }
}
