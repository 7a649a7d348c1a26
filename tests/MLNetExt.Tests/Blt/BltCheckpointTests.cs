using System.Text.Json.Nodes;
using MLNetExt.Blt;
using static TorchSharp.torch;

namespace MLNetExt.Tests.Blt;

[TestClass]
public sealed class BltCheckpointTests
{
    static string TempDir() => Directory.CreateTempSubdirectory("blt-ckpt-").FullName;

    [TestMethod]
    public void SaveLoadRoundTripKeepsConfigWeightsAndLogits()
    {
        var config = TinyBlt.Config(PatchingMode.MonotonicEntropy, maxPatchLength: 5);
        using var model = TinyBlt.Model(config);
        string dir = TempDir();
        try
        {
            BltCheckpoint.Save(model, dir);
            using var loaded = BltCheckpoint.Load(dir);
            loaded.eval();
            Assert.AreEqual(BltConfigJson.ToJson(model.Config).ToJsonString(), BltConfigJson.ToJson(loaded.Config).ToJsonString());
            var batch = BltBatch.FromDocuments([ByteTokenizer.Encode("round trip ✓", addEos: true)]);
            using var _ = no_grad();
            using var a = model.forward(batch);
            using var b = loaded.forward(batch);
            Assert.IsTrue(a.eq(b).all().item<bool>());
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [TestMethod]
    public void ConfigJsonUsesHuggingFaceKeys()
    {
        var json = BltConfigJson.ToJson(TinyBlt.Config(PatchingMode.MonotonicEntropy));
        Assert.AreEqual("entropy", json["patching_mode"]!.GetValue<string>());
        Assert.IsTrue(json["monotonicity"]!.GetValue<bool>());
        Assert.AreEqual(32, json["encoder_config"]!["hidden_size"]!.GetValue<int>());
        Assert.AreEqual(500000.0, json["global_config"]!["rope_parameters"]!["rope_theta"]!.GetValue<double>());
        Assert.AreEqual(12, json["encoder_config"]!["sliding_window"]!.GetValue<int>());
        // HF defaults fill what a config.json leaves out; an older top-level rope_theta is read too.
        var sparse = BltConfigJson.FromJson(new JsonObject { ["patching_mode"] = "space", ["global_config"] = new JsonObject { ["rope_theta"] = 1234.0 } });
        Assert.AreEqual(PatchingMode.Space, sparse.PatchingMode);
        Assert.AreEqual(1234.0, sparse.GlobalConfig.RopeTheta);
        Assert.AreEqual(500002, sparse.EncoderHashByteGroupVocab);
        Assert.AreEqual(25, sparse.GlobalConfig.NumHiddenLayers);
    }

    [TestMethod]
    public void LoadNamesMisShapedAndMissingTensors()
    {
        using var model = TinyBlt.Model();
        string dir = TempDir();
        try
        {
            BltCheckpoint.Save(model, dir);
            var path = Path.Combine(dir, BltCheckpoint.ConfigFile);
            var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            json["encoder_hash_byte_group_vocab"] = 55;                       // hash table rows change
            json["decoder_config"]!["num_hidden_layers"] = 1;                 // the second decoder layer is unexpected
            File.WriteAllText(path, json.ToJsonString());
            var e = Assert.ThrowsExactly<InvalidDataException>(() => BltCheckpoint.Load(dir));
            StringAssert.Contains(e.Message, "model.encoder_hash_tok_embedding.weight: model expects [330, 32], checkpoint has [366, 32]");
            StringAssert.Contains(e.Message, "model.local_decoder.layers.1.mlp.down_proj.weight: not in the model");

            // A config that implies more parameters than the file holds is refused before the model is built.
            json["decoder_config"]!["num_hidden_layers"] = 3;
            File.WriteAllText(path, json.ToJsonString());
            var bigger = Assert.ThrowsExactly<InvalidDataException>(() => BltCheckpoint.Load(dir));
            StringAssert.Contains(bigger.Message, "config.json describes a model of");
            StringAssert.Contains(bigger.Message, "model.safetensors holds only 136,520 values");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [TestMethod]
    public void InvalidConfigIsRejectedWithTheFieldName()
    {
        var bad = TinyBlt.Config() with { DecoderConfig = TinyBlt.Config().DecoderConfig with { HiddenSize = 48 } };
        var e = Assert.ThrowsExactly<ArgumentException>(() => new BltModel(bad));
        StringAssert.Contains(e.Message, "decoder_config.hidden_size");
    }

    [TestMethod]
    public void InitialisationIsTruncatedNormalWithFanInScale()
    {
        using var model = TinyBlt.Model();
        var w = model.state_dict()["model.local_decoder.layers.0.mlp.down_proj.weight"];   // fan-in 64: σ = 1/8
        double std = w.std().item<float>(), max = w.abs().max().item<float>();
        Assert.AreEqual(0.125 * 0.986, std, 0.01);       // a ±3σ truncated normal has 0.986σ spread
        Assert.IsLessThanOrEqualTo(3 * 0.125 + 1e-6, max);
    }
}
