using System.Text;
using Microsoft.ML;
using MLNetExt.Tests.MLNet;
using MLNetExt.Tests.Training;

namespace MLNetExt.Tests.ModernBert.MLNet;

/// <summary>A saved model zip is untrusted input: every damaged entry fails fast, naming the zip, the entry and the tensor or key.</summary>
[TestClass]
public sealed class ModernBertUntrustedZipTests
{
    const string Tensor = "embeddings.tok_embeddings.weight";   // [50262, 32]

    /// <summary>An embeddings pipeline (nothing to train) over the tiny Hugging Face folder, saved with mlContext.Model.Save.</summary>
    static string SavedZip(PersistenceTests.TempDir dir)
    {
        var ml = new MLContext(seed: 1);
        var data = ToyData.Load(ml, 4);
        var model = ml.Transforms.Text.ModernBertEmbeddings(modelPath: MLNetFixtures.HuggingFaceFolder(dir.Root)).Fit(data);
        string zip = dir.File("model.zip");
        ml.Model.Save(model, data.Schema, zip);
        return zip;
    }

    static string Load(string zip) => Tampering.Messages(Assert.Throws<Exception>(() => new MLContext(seed: 2).Model.Load(zip, out _)));

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
        if (damage == Tampering.Truncated) StringAssert.Contains(messages, "truncated");
        else StringAssert.Contains(messages, Tensor);
        if (damage == Tampering.Transposed) StringAssert.Contains(messages, $"{Tensor}: model expects [50262, 32], checkpoint has [32, 50262]");
    }

    [TestMethod]
    public void AbsurdLayerCountInConfigEntry_FailsBeforeBuilding_NamingZipEntryAndKey()
    {
        using var dir = new PersistenceTests.TempDir();
        string zip = SavedZip(dir), entry = Tampering.EntryName(zip, "/Config.json");
        Tampering.EditJsonEntry(zip, "/Config.json", j => { j.Remove("layer_types"); j["num_hidden_layers"] = 1_000_000; });
        string messages = Tampering.FailsWithoutAllocating(() => new MLContext(seed: 2).Model.Load(zip, out _));
        StringAssert.Contains(messages, $"entry '{entry}' of model zip '{zip}'");
        StringAssert.Contains(messages, "'num_hidden_layers'");
        StringAssert.Contains(messages, "1000000");
    }

    [TestMethod]
    [DataRow("/Config.json")]
    [DataRow("/Tokenizer.json")]
    public void InvalidJsonEntry_ErrorNamesZipAndEntry(string suffix)
    {
        using var dir = new PersistenceTests.TempDir();
        string zip = SavedZip(dir), entry = Tampering.EntryName(zip, suffix);
        Tampering.RewriteEntry(zip, suffix, _ => Encoding.UTF8.GetBytes("{ \"model_type\": \"modernbert\", oops"));
        StringAssert.Contains(Load(zip), $"entry '{entry}' of model zip '{zip}'");
    }
}
