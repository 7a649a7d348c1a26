using MLNetExt.Blt;

namespace MLNetExt.Tests.Blt;

[TestClass]
public sealed class LengthBucketsTests
{
    [TestMethod]
    public void ALongRowNeverMakesShortRowsPadToItsLength()
    {
        int[] lengths = [41, 4097, 41, 3500, 3000, 100, 70, 4097, 5];
        var buckets = LengthBuckets.Of(lengths);
        CollectionAssert.AreEquivalent(Enumerable.Range(0, lengths.Length).ToArray(), buckets.SelectMany(b => b).ToArray(), "every row exactly once");
        foreach (var bucket in buckets)
        {
            int width = bucket.Max(i => lengths[i]);
            long padded = (long)bucket.Length * width, counted = bucket.Sum(i => (long)Math.Max(lengths[i], LengthBuckets.MinWidth));
            Assert.IsTrue(padded <= LengthBuckets.Ratio * counted,
                $"bucket [{string.Join(", ", bucket.Select(i => lengths[i]))}] pads to {padded} cells for {counted} bytes (short rows counted as {LengthBuckets.MinWidth})");
        }
        CollectionAssert.AreEqual(new[] { 1, 7, 3 }, buckets[0], "4097, 4097 and 3500 share a bucket, longest first (ties in input order); 3000 does not");
        Assert.IsTrue(buckets.Any(b => b.Contains(0) && b.Contains(2) && b.Contains(8)), "short rows share one call");
    }

    [TestMethod]
    public void ScoreReturnsResultsInInputOrder()
    {
        long[][] rows = [new long[3], new long[900], new long[4], new long[1000]];
        var calls = new List<int[]>();
        var results = LengthBuckets.Score(rows, bucket =>
        {
            calls.Add(bucket.Select(r => r.Length).ToArray());
            return bucket.Select(r => r.Length * 10).ToArray();
        });
        CollectionAssert.AreEqual(new[] { 30, 9000, 40, 10000 }, results);
        Assert.HasCount(2, calls);
        CollectionAssert.AreEqual(new[] { 1000, 900 }, calls[0]);
        CollectionAssert.AreEqual(new[] { 4, 3 }, calls[1]);
    }
}
