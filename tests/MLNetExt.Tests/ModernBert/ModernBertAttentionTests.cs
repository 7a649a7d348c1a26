using System.Collections.Immutable;
using MLNetExt.ModernBert;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.Tests.ModernBert;

[TestClass]
public sealed class ModernBertAttentionTests
{
    [TestMethod]
    public void Rope_QueryKeyProduct_DependsOnlyOnRelativePosition()
    {
        manual_seed(1);
        var q = randn(1, 1, 16);
        var k = randn(1, 1, 16);
        float Score(long m, long n)
        {
            var (cq, sq) = Rotary.Tables(tensor(new[] { m }), 16, 10_000);
            var (ck, sk) = Rotary.Tables(tensor(new[] { n }), 16, 10_000);
            return (Rotary.Apply(q, cq, sq) * Rotary.Apply(k, ck, sk)).sum().item<float>();
        }
        Assert.AreEqual(Score(3, 10), Score(103, 110), 1e-4);
        Assert.AreEqual(Score(7, 2), Score(1007, 1002), 1e-3);
        Assert.AreNotEqual(Score(3, 10), Score(3, 11), 1e-3);
    }

    [TestMethod]
    public void Rope_RotatesHalves_NeoXStyle()
    {
        // With d = 2 and theta irrelevant (inv_freq = 1): position p rotates (x1, x2) by angle p.
        var x = tensor(new float[] { 1, 0 }).view(1, 1, 2);
        var (cos, sin) = Rotary.Tables(tensor(new long[] { 1 }), 2, 10_000);
        var y = Rotary.Apply(x, cos, sin).flatten().data<float>().ToArray();
        Assert.AreEqual(Math.Cos(1), y[0], 1e-6);
        Assert.AreEqual(Math.Sin(1), y[1], 1e-6);
    }

    static ModernBertConfig OneLayer(AttentionKind kind) =>
        TinyModels.Config with { NumHiddenLayers = 1, LocalAttention = 128, LayerTypes = [kind] };

    [TestMethod]
    public void LocalLayer_Token0CannotReachToken65_GlobalLayerCan()
    {
        foreach (var kind in new[] { AttentionKind.Local, AttentionKind.Global })
        {
            manual_seed(2);
            using var model = new ModernBertModel(OneLayer(kind));
            model.eval();
            var a = TinyModels.RandomTokens(70, 3);
            var b = (long[])a.Clone();
            b[0] = a[0] == 5 ? 6 : 5;
            using var _ = no_grad();
            var ya = model.call(TinyModels.Pack(model.Config, a));
            var yb = model.call(TinyModels.Pack(model.Config, b));
            float at64 = TinyModels.MaxAbsDiff(ya[64], yb[64]), at65 = TinyModels.MaxAbsDiff(ya[65], yb[65]);
            Assert.IsTrue(at64 > 1e-6, $"{kind}: token 0 must influence token 64 (|0-64| <= 64)");
            if (kind == AttentionKind.Local) Assert.AreEqual(0f, at65, $"local: token 0 leaked into token 65");
            else Assert.IsTrue(at65 > 1e-6, "global: token 0 must influence token 65");
        }
    }

    [TestMethod]
    public void LocalPlan_EqualsDenseBandMaskedAttention()
    {
        manual_seed(4);
        int half = 4;
        int[] lengths = [3, 17, 40, 5, 9];
        var offsets = new int[lengths.Length + 1];
        for (int i = 0; i < lengths.Length; i++) offsets[i + 1] = offsets[i] + lengths[i];
        int t = offsets[^1];
        var q = randn(t, 2, 8);
        var k = randn(t, 2, 8);
        var v = randn(t, 2, 8);
        using var plan = AttentionPlan.Local(offsets, half, CPU);
        var got = plan.Attend(q, k, v, 0.0);
        var want = DenseAttention(q, k, v, offsets, half);
        Assert.IsTrue(TinyModels.MaxAbsDiff(got, want) < 1e-5, $"max diff {TinyModels.MaxAbsDiff(got, want)}");
        Assert.AreEqual(3, plan.GroupCount, "lengths 5 and 3 (<= half + 1) get two buckets; all long ones share one band group");
    }

    [TestMethod]
    public void EqualLengthSequences_BothPlansEqualDenseAttention()
    {
        // Lengths equal and a multiple of half: plan indices are 0..T-1, so the plans use views instead of gathers.
        manual_seed(7);
        int half = 4;
        int[] offsets = [0, 16, 32, 48];
        var q = randn(48, 2, 8);
        var k = randn(48, 2, 8);
        var v = randn(48, 2, 8);
        using var global = AttentionPlan.Global(offsets, CPU);
        using var local = AttentionPlan.Local(offsets, half, CPU);
        var globalDiff = TinyModels.MaxAbsDiff(global.Attend(q, k, v, 0.0), DenseAttention(q, k, v, offsets, 48));
        var localDiff = TinyModels.MaxAbsDiff(local.Attend(q, k, v, 0.0), DenseAttention(q, k, v, offsets, half));
        Assert.IsTrue(globalDiff < 1e-5, $"global max diff {globalDiff}");
        Assert.IsTrue(localDiff < 1e-5, $"local max diff {localDiff}");
    }

    /// <summary>Reference: one T x T attention with mask "same sequence and |i - j| &lt;= window". q, k, v: [T, nh, hd].</summary>
    static Tensor DenseAttention(Tensor q, Tensor k, Tensor v, int[] offsets, int window)
    {
        int t = offsets[^1];
        var seq = new int[t];
        for (int s = 0; s < offsets.Length - 1; s++) for (int p = offsets[s]; p < offsets[s + 1]; p++) seq[p] = s;
        var allowed = new bool[t * t];
        for (int i = 0; i < t; i++) for (int j = 0; j < t; j++) allowed[i * t + j] = seq[i] == seq[j] && Math.Abs(i - j) <= window;
        var mask = tensor(allowed).view(1, 1, t, t);
        return nn.functional.scaled_dot_product_attention(q.transpose(0, 1).unsqueeze(0), k.transpose(0, 1).unsqueeze(0), v.transpose(0, 1).unsqueeze(0), mask)
            .squeeze(0).transpose(0, 1);
    }

    [TestMethod]
    public void Packed_EqualsEachSequenceAlone()
    {
        manual_seed(5);
        using var model = new ModernBertModel(TinyModels.Config);
        model.eval();
        int[] lengths = [3, 17, 40, 9, 1, 5, 33];
        var seqs = lengths.Select((l, i) => TinyModels.RandomTokens(l, 10 + i)).ToArray();
        using var _ = no_grad();
        using var packed = TinyModels.Pack(model.Config, seqs);
        var all = model.call(packed);
        for (int i = 0; i < seqs.Length; i++)
        {
            var alone = model.call(TinyModels.Pack(model.Config, seqs[i]));
            var mine = all.narrow(0, packed.Offsets[i], lengths[i]);
            Assert.IsTrue(TinyModels.MaxAbsDiff(mine, alone) < 1e-5, $"sequence {i}: {TinyModels.MaxAbsDiff(mine, alone)}");
        }
    }

    [TestMethod]
    public void PaddedHuggingFaceInput_EqualsPacked_AndRepadsWithZeros()
    {
        manual_seed(6);
        using var model = new ModernBertModel(TinyModels.Config);
        model.eval();
        var a = TinyModels.RandomTokens(12, 1);
        var b = TinyModels.RandomTokens(7, 2);
        var ids = zeros(2, 12, int64);
        var mask = zeros(2, 12, int64);
        ids[0] = tensor(a); mask[0] = ones(12, int64);
        ids[1].narrow(0, 0, 7).copy_(tensor(b)); ids[1].narrow(0, 7, 5).fill_(TinyModels.Config.PadTokenId); mask[1].narrow(0, 0, 7).fill_(1);
        using var _ = no_grad();
        using var padded = PackedInput.FromPadded(ids, mask, model.Config);
        var grid = padded.Repad(model.call(padded)); // [2, 12, H]
        using var packed = TinyModels.Pack(model.Config, a, b);
        var flat = model.call(packed);
        Assert.IsTrue(TinyModels.MaxAbsDiff(grid[0], flat.narrow(0, 0, 12)) < 1e-5);
        Assert.IsTrue(TinyModels.MaxAbsDiff(grid[1].narrow(0, 0, 7), flat.narrow(0, 12, 7)) < 1e-5);
        Assert.AreEqual(0f, grid[1].narrow(0, 7, 5).abs().max().item<float>());
    }

    [TestMethod]
    public void LongInput_TruncatedByDefault_ThrowsWhenAsked()
    {
        var config = TinyModels.Config with { MaxPositionEmbeddings = 16 };
        using var model = new ModernBertModel(config);
        model.eval();
        var longSeq = TinyModels.RandomTokens(40, 7);
        using var _ = no_grad();
        using var input = TinyModels.Pack(config, TinyModels.RandomTokens(5, 8), longSeq);
        CollectionAssert.AreEqual(new[] { 0, 5, 21 }, input.Offsets);
        var y = model.call(input);
        var firstSixteen = model.call(TinyModels.Pack(config, longSeq[..16]));
        Assert.IsTrue(TinyModels.MaxAbsDiff(y.narrow(0, 5, 16), firstSixteen) < 1e-5);
        var batch = MLNetExt.Training.Packing.PackedBatch.FromSequences([longSeq], [42]);
        var e = Assert.ThrowsExactly<ArgumentException>(() => PackedInput.Create(batch, config, policy: LongInputPolicy.Throw));
        StringAssert.Contains(e.Message, "Row 42 has 40 tokens");
    }

    [TestMethod]
    public void Dropout_OnlyInTraining()
    {
        var config = TinyModels.Config with { EmbeddingDropout = 0.2, MlpDropout = 0.2, AttentionDropout = 0.2 };
        using var model = new ModernBertModel(config);
        using var input = TinyModels.Pack(config, TinyModels.RandomTokens(20, 9));
        model.eval();
        Assert.AreEqual(0f, TinyModels.MaxAbsDiff(model.call(input), model.call(input)));
        model.train();
        Assert.IsTrue(TinyModels.MaxAbsDiff(model.call(input), model.call(input)) > 1e-4);
    }

    [TestMethod]
    public void Bf16Inference_TracksFloat32()
    {
        manual_seed(10);
        using var model = new ModernBertModel(TinyModels.Config);
        model.eval();
        using var input = TinyModels.Pack(model.Config, TinyModels.RandomTokens(30, 11), TinyModels.RandomTokens(9, 12));
        using var _ = no_grad();
        var f32 = model.call(input);
        model.to(bfloat16);
        var bf16 = model.call(input);
        Assert.AreEqual(bfloat16, bf16.dtype);
        Assert.IsTrue(TinyModels.MaxAbsDiff(f32, bf16) < 0.1, $"bf16 drifted {TinyModels.MaxAbsDiff(f32, bf16)}");
    }
}
