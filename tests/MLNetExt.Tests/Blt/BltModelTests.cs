using MLNetExt.Blt;
using MLNetExt.Blt.Patching;
using MLNetExt.Training.Packing;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetExt.Tests.Blt;

[TestClass]
public sealed class BltModelTests
{
    static IEnumerable<string> Layer(string prefix) =>
        new[] { "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj", "input_layernorm", "post_attention_layernorm" }
            .Select(n => $"{prefix}.{n}.weight");

    static IEnumerable<string> Cross(string prefix) =>
        new[] { "q_proj", "k_proj", "v_proj", "o_proj", "q_norm", "k_norm" }.Select(n => $"{prefix}.{n}.weight");

    /// <summary>
    /// The key list read off HF modeling_blt.py (BltForCausalLM → model: BltModel + lm_head): BltTransformerLayer =
    /// self_attn.{q,k,v,o}_proj + mlp.{gate,up,down}_proj + two norms; BltCrossAttention adds q_norm/k_norm; the encoder
    /// has one cross layer unless cross_attn_all_layers; rotary inv_freq is a non-persistent buffer (no key).
    /// </summary>
    [TestMethod]
    public void StateDictNamesAndShapesMatchHuggingFace()
    {
        using var model = TinyBlt.Model();
        var expected = new List<string> { "lm_head.weight", "model.encoder_hash_tok_embedding.weight",
            "model.local_encoder.embed_tokens.weight", "model.local_encoder.patch_embedding_projection.weight",
            "model.global_transformer.token_embedding_projection.weight",
            "model.local_decoder.patch_embedding_projection.weight", "model.local_decoder.norm.weight",
            "model.patcher.embed_tokens.weight", "model.patcher.norm.weight", "model.patcher.lm_head.weight" };
        for (int i = 0; i < 2; i++) expected.AddRange(Layer($"model.local_encoder.layers.{i}"));
        expected.AddRange(Cross("model.local_encoder.cross_attn_layers.0"));
        for (int i = 0; i < 2; i++) expected.AddRange(Layer($"model.global_transformer.layers.{i}"));
        for (int i = 0; i < 2; i++) expected.AddRange(Layer($"model.local_decoder.layers.{i}"));
        for (int i = 0; i < 2; i++) expected.AddRange(Cross($"model.local_decoder.cross_attn_layers.{i}"));
        expected.AddRange(Layer("model.patcher.layers.0"));
        var state = model.state_dict();
        CollectionAssert.AreEquivalent(expected, state.Keys.ToList());

        Assert.AreEqual("[366, 32]", Shape(state["model.encoder_hash_tok_embedding.weight"]));      // 61 × 6 n-gram sizes
        Assert.AreEqual("[64, 32]", Shape(state["model.local_encoder.patch_embedding_projection.weight"]));
        Assert.AreEqual("[40, 64]", Shape(state["model.global_transformer.token_embedding_projection.weight"]));
        Assert.AreEqual("[20, 40]", Shape(state["model.global_transformer.layers.0.self_attn.k_proj.weight"]));  // 1 kv head × 20
        Assert.AreEqual("[64, 40]", Shape(state["model.local_decoder.patch_embedding_projection.weight"]));
        Assert.AreEqual("[32]", Shape(state["model.local_decoder.cross_attn_layers.1.k_norm.weight"]));
        Assert.AreEqual("[260, 32]", Shape(state["lm_head.weight"]));
    }

    static string Shape(Tensor t) => "[" + string.Join(", ", t.shape) + "]";

    [TestMethod]
    public void GlobalProjectionIsAbsentWhenWidthsAgree()
    {
        var config = TinyBlt.Config() with { GlobalConfig = new BltGlobalTransformerConfig(HiddenSize: 64, NumAttentionHeads: 2, NumHiddenLayers: 1, IntermediateSize: 64) };
        config = config with { EncoderConfig = config.EncoderConfig with { HiddenSizeGlobal = 64 }, DecoderConfig = config.DecoderConfig with { HiddenSizeGlobal = 64 } };
        using var model = TinyBlt.Model(config);
        Assert.IsFalse(model.state_dict().ContainsKey("model.global_transformer.token_embedding_projection.weight"));
    }

    [TestMethod]
    public void EntropiesDoNotDependOnOtherRowsOrDocuments()
    {
        using var model = TinyBlt.Model();
        var rng = new Random(1);
        long[] doc = TinyBlt.RandomDocument(rng, 30), other = TinyBlt.RandomDocument(rng, 45);
        using var alone = model.EntropyModel!.Entropies(BltBatch.FromDocuments([doc]));
        using var batched = model.EntropyModel.Entropies(BltBatch.FromDocuments([other, doc, other]));
        using var packed = model.EntropyModel.Entropies(BltBatch.FromRows([[other, doc]]));
        int n = doc.Length - 1;
        Assert.IsTrue(alone[0].allclose(batched[1, TensorIndex.Slice(0, n)], atol: 1e-5), "row in a padded batch");
        Assert.IsTrue(alone[0].allclose(packed[0, TensorIndex.Slice(other.Length - 1, other.Length - 1 + n)], atol: 1e-5), "document after another in a packed row");
        Assert.IsGreaterThan(0.5, alone.max().item<float>() - alone.min().item<float>(), "sharpened entropies should vary");
    }

    [TestMethod]
    public void PackedRowEqualsItsDocumentsRunAlone()
    {
        using var model = TinyBlt.Model();
        var rng = new Random(2);
        long[] a = TinyBlt.RandomDocument(rng, 20), b = TinyBlt.RandomDocument(rng, 26);
        var packedBatch = BltBatch.FromPacked([PackedBatch.FromSequences([a, b])]);
        using var _ = no_grad();
        using var packed = model.forward(packedBatch);
        using var first = model.forward(BltBatch.FromDocuments([a]));
        using var second = model.forward(BltBatch.FromDocuments([b]));
        Assert.IsTrue(first[0].allclose(packed[0, TensorIndex.Slice(0, a.Length - 1)], atol: 1e-4));
        Assert.IsTrue(second[0].allclose(packed[0, TensorIndex.Slice(a.Length - 1, null)], atol: 1e-4));
        Assert.IsGreaterThan(3, model.Patch(packedBatch).PatchCounts[0], "documents should hold several patches");
    }

    [TestMethod]
    public void ChangingLaterBytesNeverChangesEarlierLogitsOrPatches()
    {
        using var model = TinyBlt.Model();
        var rng = new Random(5);
        using var _ = no_grad();
        for (int trial = 0; trial < 4; trial++)
        {
            long[] doc = TinyBlt.RandomDocument(rng, 40);
            int t = rng.Next(3, doc.Length - 3);
            long[] changed = (long[])doc.Clone();
            for (int i = t + 1; i < changed.Length; i++) changed[i] = rng.Next(4, 260);
            var batch = BltBatch.ForInference([doc]);
            var changedBatch = BltBatch.ForInference([changed]);
            var (layout, changedLayout) = (model.Patch(batch), model.Patch(changedBatch));
            CollectionAssert.AreEqual(layout.PatchIds[..(t + 1)], changedLayout.PatchIds[..(t + 1)], $"patches, t={t}");
            CollectionAssert.AreEqual(layout.DecoderPatchIds[..(t + 1)], changedLayout.DecoderPatchIds[..(t + 1)], $"decoder patches, t={t}");
            using var before = model.forward(batch);
            using var after = model.forward(changedBatch);
            var prefix = TensorIndex.Slice(0, t + 1);
            Assert.IsTrue(before[0, prefix].allclose(after[0, prefix], atol: 1e-5), $"logits up to t={t}");
            Assert.IsFalse(before[0, TensorIndex.Slice(t + 1, null)].allclose(after[0, TensorIndex.Slice(t + 1, null)], atol: 1e-5), "later logits should change");
        }
    }

    [TestMethod]
    public void LogitsDependOnlyOnPrefixEvenAtTheLastPosition()
    {
        // Truncating the sequence must not change what any kept position predicts (the decoder's patch choice
        // for the last byte comes from that byte's own entropy, not from the missing next byte).
        using var model = TinyBlt.Model();
        long[] doc = TinyBlt.RandomDocument(new Random(9), 40);
        using var _ = no_grad();
        using var full = model.forward(BltBatch.ForInference([doc]));
        for (int n = 5; n < doc.Length; n += 3)
        {
            using var cut = model.forward(BltBatch.ForInference([doc[..n]]));
            Assert.IsTrue(cut[0].allclose(full[0, TensorIndex.Slice(0, n)], atol: 1e-5), $"prefix {n}");
        }
    }

    [TestMethod]
    public void AFewAdamWStepsLowerBitsPerByte()
    {
        using var model = TinyBlt.Model(TinyBlt.Config(maxPatchLength: 6));
        const string text = "the cat sat on the mat. the dog sat on the log. ";
        var docs = Enumerable.Range(0, 4).Select(i => ByteTokenizer.Encode(text + text[..(10 + i)], addEos: true)).ToList();
        var batch = BltBatch.FromDocuments(docs);
        double before = model.BitsPerByte(batch);
        model.train();
        using var optimizer = optim.AdamW(model.parameters().Where(p => p.requires_grad), lr: 3e-3);
        for (int step = 0; step < 25; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            model.Loss(batch).backward();
            optimizer.step();
        }
        model.eval();
        double after = model.BitsPerByte(batch);
        Assert.IsGreaterThan(7.0, before, $"untrained model should be near log2(260) bits, got {before:F3}");
        Assert.IsLessThan(before - 1.5, after, $"bits per byte {before:F3} -> {after:F3}");
    }

    [TestMethod]
    public void EveryPatchingModeRunsAndRespectsMaxPatchLength()
    {
        var doc = ByteTokenizer.Encode("hello world, this is BLT patching.", addEos: true);
        foreach (var mode in Enum.GetValues<PatchingMode>())
        {
            using var model = TinyBlt.Model(TinyBlt.Config(mode, maxPatchLength: 4));
            var batch = BltBatch.FromDocuments([doc]);
            var layout = model.Patch(batch);
            Assert.IsTrue(layout.PatchLengths[0].All(l => l <= 4), mode.ToString());
            Assert.AreEqual(1, layout.PatchLengths[0][0], $"{mode}: BOS patch");
            using var loss = model.Loss(batch);
            Assert.IsTrue(float.IsFinite(loss.item<float>()), mode.ToString());
        }
    }

    [TestMethod]
    public void CalibratedThresholdGivesTheTargetPatchSizeInTheModel()
    {
        using var probe = TinyBlt.Model();
        var rng = new Random(6);
        var docs = Enumerable.Range(0, 6).Select(_ => TinyBlt.RandomDocument(rng, 80)).ToList();
        double theta = ThresholdCalibration.Calibrate(probe.EntropyModel!, docs, targetMeanPatchSize: 3.0, tolerance: 0.05);
        var config = probe.Config with { PatchingThreshold = theta };
        TorchSharp.torch.manual_seed(7);
        using var model = new BltModel(config);
        model.load_state_dict(probe.state_dict());
        var layout = model.Patch(BltBatch.ForInference(docs));
        double mean = docs.Sum(d => d.Length) / (double)layout.PatchCounts.Sum();
        Assert.AreEqual(3.0, mean, 0.05);
    }
}
