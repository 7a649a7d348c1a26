using MLNetExt.Blt;
using MLNetExt.Blt.Patching;
using static TorchSharp.torch;

namespace MLNetExt.Tests.Blt;

/// <summary>
/// Padding costs nothing beyond its bytes: it forms no patch, the pooling never reads it, and a row's outputs do not
/// depend on how long its neighbours are.
/// </summary>
[TestClass]
public sealed class PaddingTests
{
    static readonly Patcher Static4 = new(PatchingMode.Static, patchSize: 4);

    /// <summary>A 101-id row and a 9-id row: the short row has 92 ids of padding.</summary>
    static BltBatch Mixed() => BltBatch.ForInference([Ids(101), Ids(9)]);

    static long[] Ids(int n) => Enumerable.Range(0, n).Select(i => i == 0 ? ByteTokenizer.Bos : 4L + (i % 200)).ToArray();

    [TestMethod]
    public void PaddingFormsNoPatch()
    {
        var batch = Mixed();
        var layout = PatchLayout.Create(batch, Static4, null);
        CollectionAssert.AreEqual(new[] { 1, 4, 4 }, layout.PatchLengths[1], "the short row holds its own patches only");
        Assert.AreEqual(3, layout.PatchCounts[1]);
        var padding = Enumerable.Range(9, 92).Select(t => batch.Length + t).ToArray();
        Assert.IsTrue(padding.All(i => layout.PatchIds[i] == -1), "padding bytes belong to no patch");
        Assert.IsTrue(padding.All(i => layout.DecoderPatchIds[i] == -1), "padding bytes read no patch");
        for (int r = 0; r < batch.Rows; r++)
            for (int p = 0; p < layout.PatchCounts[r]; p++)
                Assert.IsFalse(batch.Segments[r][layout.PatchDocIds[(r * layout.NumPatches) + p]].IsPadding, $"row {r} patch {p} is a padding patch");
    }

    [TestMethod]
    public void MixedBatchPatchesDoNotGrowWithTheLongRowsPadding()
    {
        var layout = PatchLayout.Create(Mixed(), Static4, null);
        Assert.AreEqual(4, layout.PatchLengths.SelectMany(l => l).Max(), "no patch is longer than the patcher allows");
        Assert.AreEqual(101 + 9, layout.PatchLengths.Sum(l => l.Sum()), "patches cover document bytes only");
        var pooling = PatchPooling.Of(layout);
        Assert.AreEqual(101L + 9, pooling.PooledBytes, "the pooling reads document bytes only, never the 92 padding bytes");
        Assert.AreEqual(layout.PatchLengths.SelectMany(l => l).Distinct().Count(), pooling.Steps, "one gather per distinct patch length");
    }

    [TestMethod]
    public void PoolingIsTheMaxOfEachPatchsBytesAndPassesGradientsToThemOnly()
    {
        var batch = Mixed();
        var layout = PatchLayout.Create(batch, Static4, null);
        manual_seed(3);
        var bytes = randn(2, batch.Length, 5).requires_grad_();
        var pooled = PatchPooling.Of(layout).Pool(bytes);                                      // (2, P, 5)
        CollectionAssert.AreEqual(new long[] { 2, layout.NumPatches, 5 }, pooled.shape);
        for (int r = 0; r < 2; r++)
        {
            int start = 0;
            for (int p = 0; p < layout.NumPatches; p++)
            {
                var expected = p < layout.PatchCounts[r]
                    ? bytes[r].narrow(0, start, layout.PatchLengths[r][p]).amax([0])
                    : zeros(5);                                                                // placeholder patch
                Assert.IsTrue(pooled[r, p].eq(expected).all().item<bool>(), $"row {r} patch {p}");
                if (p < layout.PatchCounts[r]) start += layout.PatchLengths[r][p];
            }
        }
        pooled.sum().backward();
        var touched = bytes.grad!.ne(0).any(-1);                                               // (2, S): bytes that got a gradient
        Assert.AreEqual((long)layout.PatchCounts.Sum() * 5, bytes.grad!.ne(0).sum().item<long>(), "one maximum per patch and feature");
        Assert.IsFalse(touched[1].narrow(0, 9, 92).any().item<bool>(), "padding gets no gradient");
    }

    [TestMethod]
    public void ARowNextToALongerOrShorterNeighbourScoresAsAlone()
    {
        using var model = TinyBlt.Model();
        var rng = new Random(5);
        var (small, large) = (TinyBlt.RandomDocument(rng, 20), TinyBlt.RandomDocument(rng, 300));
        using var _ = no_grad();
        foreach (var (row, neighbour) in new[] { (small, large), (large, small) })
        {
            using var alone = model.forward(BltBatch.ForInference([row]));
            using var mixed = model.forward(BltBatch.ForInference([neighbour, row]));
            var mine = mixed[1].narrow(0, 0, row.Length);
            Assert.IsTrue(mine.allclose(alone[0], rtol: 1e-4, atol: 1e-5), $"logits of a {row.Length}-id row beside a {neighbour.Length}-id row");
            using var pooledAlone = BltForSequenceClassification.PooledLatents(model, BltBatch.ForInference([row]));
            using var pooledMixed = BltForSequenceClassification.PooledLatents(model, BltBatch.ForInference([neighbour, row]));
            Assert.IsTrue(pooledMixed[1].allclose(pooledAlone[0], rtol: 1e-4, atol: 1e-5), $"pooled latents of a {row.Length}-id row");
        }
    }
}
