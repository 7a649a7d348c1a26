using MLNetExt.ModernBert;

namespace MLNetExt.Tests.ModernBert;

[TestClass]
public sealed class ModernBertConfigTests
{
    [TestMethod]
    public void ParsesPublishedBaseConfig_Transformers4Layout_FromShared()
    {
        var c = ModernBertConfigJson.Load(Path.Combine(AppContext.BaseDirectory, "Fixtures", "ModernBERT-base", "config.json"));
        Assert.AreEqual(768, c.HiddenSize);
        Assert.AreEqual(22, c.NumHiddenLayers);
        Assert.AreEqual(64, c.HeadDim);
        Assert.AreEqual(64, c.LocalHalfWindow);
        Assert.AreEqual(AttentionKind.Global, c.LayerType(0));
        Assert.AreEqual(AttentionKind.Local, c.LayerType(1));
        Assert.AreEqual(AttentionKind.Local, c.LayerType(2));
        Assert.AreEqual(AttentionKind.Global, c.LayerType(21));
        Assert.AreEqual(160_000.0, c.RopeTheta(AttentionKind.Global));
        Assert.AreEqual(10_000.0, c.RopeTheta(AttentionKind.Local));
        Assert.AreEqual("mean", c.ClassifierPooling);
        Assert.AreEqual(50283, c.PadTokenId);
    }

    [TestMethod]
    public void ParsesTransformers5Layout_LayerTypesAndRopeParameters()
    {
        var c = ModernBertConfigJson.Parse("""
            { "model_type": "modernbert", "num_hidden_layers": 4, "hidden_size": 64, "num_attention_heads": 4,
              "layer_types": ["sliding_attention", "full_attention", "full_attention", "sliding_attention"],
              "rope_parameters": { "full_attention": { "rope_type": "default", "rope_theta": 5000.0 },
                                   "sliding_attention": { "rope_type": "default", "rope_theta": 500.0 } } }
            """);
        CollectionAssert.AreEqual(new[] { AttentionKind.Local, AttentionKind.Global, AttentionKind.Global, AttentionKind.Local },
            Enumerable.Range(0, 4).Select(c.LayerType).ToArray());
        Assert.AreEqual(5000.0, c.GlobalRopeTheta);
        Assert.AreEqual(500.0, c.LocalRopeTheta);
    }

    [TestMethod]
    [DataRow("""{ "model_type": "bert" }""", "model_type")]
    [DataRow("""{ "model_type": "modernbert", "hidden_size": 770 }""", "hidden_size")]
    [DataRow("""{ "model_type": "modernbert", "num_hidden_layers": 2, "layer_types": ["full_attention"] }""", "layer_types")]
    [DataRow("""{ "model_type": "modernbert", "layer_types": ["full_attention", "chunked"] }""", "layer_types")]
    [DataRow("""{ "model_type": "modernbert", "rope_parameters": { "full_attention": { "rope_type": "yarn" } } }""", "rope_parameters.full_attention.rope_type")]
    [DataRow("""{ "model_type": "modernbert", "local_attention": 7 }""", "local_attention")]
    [DataRow("""{ "model_type": "modernbert", "classifier_pooling": "max" }""", "classifier_pooling")]
    [DataRow("""{ "model_type": "modernbert", "hidden_activation": "swiglu" }""", "hidden_activation")]
    [DataRow("""{ "model_type": "modernbert", "vocab_size": "many" }""", "vocab_size")]
    public void BadConfig_ErrorNamesTheField(string json, string field)
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => ModernBertConfigJson.Parse(json));
        StringAssert.Contains(e.Message, $"'{field}'");
    }

    [TestMethod]
    public void ToJson_ParsesBackToTheSameConfig()
    {
        var c = TinyModels.Config with { NumLabels = 3, ProblemType = "single_label_classification", ClassifierPooling = "mean", GlobalRopeTheta = 1234 };
        var back = ModernBertConfigJson.Parse(ModernBertConfigJson.ToJson(c, "ModernBertForSequenceClassification"));
        CollectionAssert.AreEqual(Enumerable.Range(0, c.NumHiddenLayers).Select(c.LayerType).ToArray(),
            Enumerable.Range(0, back.NumHiddenLayers).Select(back.LayerType).ToArray());
        Assert.AreEqual(c, back with { LayerTypes = c.LayerTypes });
    }

    [TestMethod]
    public void BaseParameterCount_Is149M_AndMatchesARealTinyModel()
    {
        // ModernBERT-base's published encoder size: 149,014,272 parameters (embeddings included).
        Assert.AreEqual(149_014_272L, ModernBertConfig.Base.EncoderParameterCount());
        using var tiny = new ModernBertModel(TinyModels.Config);
        Assert.AreEqual(TinyModels.Config.EncoderParameterCount(), tiny.parameters().Sum(p => p.numel()));
    }
}
