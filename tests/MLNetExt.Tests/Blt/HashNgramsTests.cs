using System.Numerics;
using MLNetExt.Blt;

namespace MLNetExt.Tests.Blt;

[TestClass]
public sealed class HashNgramsTests
{
    const long P = 1_000_000_007;

    /// <summary>The formula done by hand: exact sum of x_k · P^k, wrapped to a signed 64-bit value (torch's int64).</summary>
    static long Wrapped(long[] window, long prime = P)
    {
        BigInteger sum = 0;
        for (int k = 0; k < window.Length; k++) sum += window[k] * BigInteger.Pow(prime, k);
        return (long)(ulong)(sum & ulong.MaxValue);
    }

    /// <summary>Python's modulo: the result takes the divisor's sign.</summary>
    static long PyMod(long value, long vocab) => ((value % vocab) + vocab) % vocab;

    [TestMethod]
    public void SmallTrigramNeedsNoWrap()
    {
        // 5 + 6·P + 7·P² = 5 + (6e9 + 42) + (7e18 + 98e9 + 343) = 7000000104000000390, fits in int64.
        Assert.AreEqual(7_000_000_104_000_000_390L, HashNgrams.Hash(new long[] { 5, 6, 7 }, P));
        Assert.AreEqual(7_000_000_104_000_000_390L % 30000, HashNgrams.Bucket(HashNgrams.Hash(new long[] { 5, 6, 7 }, P), 30000));
    }

    [TestMethod]
    public void LongNgramsWrapAroundAndBucketNonNegatively()
    {
        long[][] windows =
        [
            [108, 105, 115, 116, 101, 110, 101, 114],
            [259, 259, 259, 259, 259, 259, 259, 259],
            [4, 259, 4, 259, 4, 259, 4, 259],
            [1, 36, 108, 105, 115, 116],
            [37, 38, 39, 40, 41, 42, 43],
        ];
        const long vocab = 500002;
        foreach (var w in windows)
        {
            Assert.AreEqual(Wrapped(w), HashNgrams.Hash(w, P), string.Join(",", w));
            long bucket = HashNgrams.Bucket(HashNgrams.Hash(w, P), vocab);
            Assert.AreEqual(PyMod(Wrapped(w), vocab), bucket);
            Assert.IsTrue(bucket is >= 0 and < vocab);
        }
        Assert.IsTrue(windows.Any(w => Wrapped(w) < 0), "the data must include a window whose wrapped hash is negative");
    }

    [TestMethod]
    public void IdsPadBeforeTheDocumentWithZeroAndOffsetEachTable()
    {
        var config = new BltConfig { EncoderHashByteGroupSize = [3, 4], EncoderHashByteGroupVocab = 1000, EncoderHashByteGroupNbFunctions = 2 };
        long[] doc = [1, 72, 105, 33];
        var ids = new long[4];
        HashNgrams.At(doc, 1, config, ids);
        long second = 5_915_587_277;
        long ByHand(long[] w, long prime) => PyMod(Wrapped(w, prime), 1000);
        CollectionAssert.AreEqual(new long[]
        {
            ByHand([0, 1, 72], P),
            1000 + ByHand([0, 0, 1, 72], P),
            2000 + ByHand([0, 1, 72], second),
            3000 + ByHand([0, 0, 1, 72], second),
        }, ids);
    }
}
