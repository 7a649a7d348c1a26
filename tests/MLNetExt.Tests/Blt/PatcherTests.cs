using MLNetExt.Blt;
using MLNetExt.Blt.Patching;

namespace MLNetExt.Tests.Blt;

[TestClass]
public sealed class PatcherTests
{
    static readonly long[] Ids = ByteTokenizer.Encode("abcdefgh");   // BOS + 8 bytes = 9 ids
    // entropies[t] = H(x_(t+1) | x_<=t); byte t starts a patch (entropy mode) iff entropies[t-1] > 1.
    static readonly float[] H = [3.0f, 0.2f, 1.5f, 0.3f, 0.4f, 2.0f, 2.5f, 0.1f, 1.2f];

    static int[] Lengths(Patcher p, long[] ids, float[] h) => Patcher.Lengths(p.PatchStarts(ids, h));

    [TestMethod]
    public void EntropyModeStartsWhereThePreviousPredictionWasUncertain()
    {
        var starts = new Patcher(PatchingMode.Entropy, threshold: 1.0).PatchStarts(Ids, H);
        // t: 0 BOS, 1 forced, 2 H[1]=.2 no, 3 H[2]=1.5 yes, 4 no, 5 no, 6 H[5]=2 yes, 7 H[6]=2.5 yes, 8 no, trailing H[8]=1.2 yes
        CollectionAssert.AreEqual(new[] { true, true, false, true, false, false, true, true, false, true }, starts);
        CollectionAssert.AreEqual(new[] { 1, 2, 3, 1, 2 }, Patcher.Lengths(starts));
    }

    [TestMethod]
    public void MonotonicModeComparesWithThePreviousEntropy()
    {
        // differences H[t-1]-H[t-2] for t=2..9: -2.8, 1.3, -1.2, 0.1, 1.6, 0.5, -2.4, 1.1
        var starts = new Patcher(PatchingMode.MonotonicEntropy, threshold: 1.0).PatchStarts(Ids, H);
        CollectionAssert.AreEqual(new[] { true, true, false, true, false, false, true, false, false, true }, starts);
    }

    [TestMethod]
    public void StaticModeCutsFixedSizesAfterBos()
    {
        CollectionAssert.AreEqual(new[] { 1, 3, 3, 2 }, Lengths(new Patcher(PatchingMode.Static, patchSize: 3), Ids, []));
    }

    [TestMethod]
    public void SpaceModeStartsAfterASpaceLikeByteThatFollowsAWord()
    {
        var ids = ByteTokenizer.Encode("ab  cd,e");
        // BOS | "ab " | " cd," | "e": the second space opens a patch, but the "c" after it does not, because that
        // patch holds no letter yet.
        CollectionAssert.AreEqual(new[] { 1, 3, 4, 1 }, Lengths(new Patcher(PatchingMode.Space), ids, []));
    }

    [TestMethod]
    public void BosIsItsOwnPatchInEveryMode()
    {
        foreach (var mode in Enum.GetValues<PatchingMode>())
            Assert.AreEqual(1, Lengths(new Patcher(mode, threshold: 100, patchSize: 50), Ids, H)[0], mode.ToString());
    }

    [TestMethod]
    public void MaxPatchLengthSplitsLongPatches()
    {
        // Threshold 100: no entropy boundary, so after BOS everything is one 8-byte patch, split into 3 + 3 + 2.
        CollectionAssert.AreEqual(new[] { 1, 8 }, Lengths(new Patcher(PatchingMode.Entropy, threshold: 100), Ids, H));
        CollectionAssert.AreEqual(new[] { 1, 3, 3, 2 }, Lengths(new Patcher(PatchingMode.Entropy, threshold: 100, maxPatchLength: 3), Ids, H));
        Assert.IsTrue(Lengths(new Patcher(PatchingMode.Entropy, threshold: 1.0, maxPatchLength: 2), Ids, H).All(l => l <= 2));
    }

    [TestMethod]
    public void DecoderReadsTheLastPatchCompletedBeforeThePredictedByte()
    {
        // Patch lengths [1, 3, 1, 1] over 6 bytes.
        var batch = BltBatch.ForInference([new long[] { 1, 10, 11, 12, 13, 14 }]);
        bool[] open = [true, true, false, false, true, true, false];     // trailing flag: byte 6 would continue patch 3
        var layout = new PatchLayout(batch, [[open]]);
        CollectionAssert.AreEqual(new long[] { 0, 1, 1, 1, 2, 3 }, layout.PatchIds);
        CollectionAssert.AreEqual(new long[] { 0, 0, 0, 1, 2, 2 }, layout.DecoderPatchIds);
        bool[] closed = [true, true, false, false, true, true, true];    // byte 6 would open a new patch: patch 3 is complete
        CollectionAssert.AreEqual(new long[] { 0, 0, 0, 1, 2, 3 }, new PatchLayout(batch, [[closed]]).DecoderPatchIds);
    }

    [TestMethod]
    public void PackedDocumentsGetTheirOwnPatchesAndPositions()
    {
        var batch = BltBatch.FromRows([[new long[] { 1, 10, 11, 2 }, new long[] { 1, 12, 2 }]]);   // inputs [1,10,11 | 1,12]
        var patcher = new Patcher(PatchingMode.Static, patchSize: 8);
        var layout = new PatchLayout(batch, [[patcher.PatchStarts([1, 10, 11], []), patcher.PatchStarts([1, 12], [])]]);
        CollectionAssert.AreEqual(new long[] { 0, 1, 1, 2, 3 }, layout.PatchIds);
        CollectionAssert.AreEqual(new long[] { 0, 0, 1, 1 }, layout.PatchDocIds);
        CollectionAssert.AreEqual(new long[] { 0, 1, 0, 1 }, layout.PatchPositions);
        CollectionAssert.AreEqual(new long[] { 0, 0, 0, 2, 2 }, layout.DecoderPatchIds);
    }

    [TestMethod]
    public void CalibrationHitsTheTargetMeanPatchSize()
    {
        var rng = new Random(3);
        var docs = Enumerable.Range(0, 20).Select(_ => Enumerable.Range(0, 200).Select(_ => (long)rng.Next(4, 260)).ToArray()).ToList();
        var entropies = docs.Select(d => d.Select(_ => (float)(rng.NextDouble() * 5)).ToArray()).ToList();
        double theta = ThresholdCalibration.Calibrate(docs, entropies, targetMeanPatchSize: 4.0, tolerance: 0.05);
        double size = ThresholdCalibration.MeanPatchSize(new Patcher(PatchingMode.Entropy, theta), docs, entropies);
        Assert.AreEqual(4.0, size, 0.05);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ThresholdCalibration.Calibrate(docs, entropies, targetMeanPatchSize: 0.5));
    }
}
