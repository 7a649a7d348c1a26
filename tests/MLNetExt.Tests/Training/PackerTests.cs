using MLNetExt.Training.Packing;

namespace MLNetExt.Tests.Training;

[TestClass]
public sealed class PackerTests
{
    [TestMethod]
    public void BestFitKeepsEveryRowOnceAndRespectsTheBudget()
    {
        var rng = new Random(1);
        int[] lengths = Enumerable.Range(0, 500).Select(_ => rng.Next(1, 300)).ToArray();
        var batches = Packer.BestFit(lengths, 1024);
        CollectionAssert.AreEquivalent(Enumerable.Range(0, lengths.Length).ToArray(), batches.SelectMany(b => b).ToArray());
        foreach (var b in batches) Assert.IsLessThanOrEqualTo(1024, b.Sum(r => lengths[r]));
        // Best fit should waste little: total tokens / (batches * budget) close to 1.
        double fill = lengths.Sum() / (double)(batches.Count * 1024);
        Assert.IsGreaterThan(0.95, fill, $"fill {fill:F3}");
    }

    [TestMethod]
    public void OversizedSequenceGetsItsOwnBatch()
    {
        var batches = Packer.BestFit(new[] { 10, 5000, 20 }, 100);
        Assert.HasCount(2, batches);
        CollectionAssert.Contains(batches.Select(b => string.Join(",", b)).ToList(), "1");
    }

    [TestMethod]
    public void PackedBatchRestartsPositionsAndRecordsBoundaries()
    {
        var batch = PackedBatch.FromSequences(new[] { new long[] { 5, 6, 7 }, new long[] { 8 }, new long[] { 9, 10 } }, new[] { 4, 2, 7 });
        CollectionAssert.AreEqual(new long[] { 5, 6, 7, 8, 9, 10 }, batch.TokenIds);
        CollectionAssert.AreEqual(new long[] { 0, 1, 2, 0, 0, 1 }, batch.PositionIds);
        CollectionAssert.AreEqual(new[] { 0, 3, 4, 6 }, batch.Offsets);
        CollectionAssert.AreEqual(new[] { 4, 2, 7 }, batch.SourceRows);
        Assert.AreEqual(3, batch.MaxLength);
    }

    [TestMethod]
    public void EmptySequenceIsRejectedNamingItsRow()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => PackedBatch.FromSequences(new[] { new long[] { 1 }, Array.Empty<long>() }, new[] { 0, 41 }));
        StringAssert.Contains(e.Message, "row 41");
    }
}
