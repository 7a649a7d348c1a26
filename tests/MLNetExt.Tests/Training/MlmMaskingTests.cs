using MLNetExt.Training.Objectives;
using MLNetExt.Training.Packing;

namespace MLNetExt.Tests.Training;

[TestClass]
public sealed class MlmMaskingTests
{
    const long Cls = 1, Sep = 2, Pad = 0, Mask = 3, Vocab = 1000;
    static readonly MlmMaskingOptions Options = new(Mask, Vocab, [Pad, Cls, Sep, Mask]);

    static PackedBatch Batch(int sequences, int seed)
    {
        var rng = new Random(seed);
        return PackedBatch.FromSequences(Enumerable.Range(0, sequences)
            .Select(_ => new[] { Cls }.Concat(Enumerable.Range(0, rng.Next(5, 200)).Select(_ => rng.NextInt64(10, Vocab))).Append(Sep).ToArray())
            .ToList());
    }

    [TestMethod]
    public void MasksThirtyPercentSplitEightyTenTenAndNeverSpecials()
    {
        var batch = Batch(400, 1);
        var masked = MlmMasking.Apply(batch, Options, new Random(7));
        int candidates = batch.TokenIds.Count(t => t is not (Cls or Sep));
        Assert.AreEqual(0.30, masked.LabelPositions.Length / (double)candidates, 0.01);

        int toMask = 0, random = 0, kept = 0;
        foreach (int p in masked.LabelPositions)
        {
            Assert.AreEqual(batch.TokenIds[p], masked.Labels[p]);
            if (masked.InputIds[p] == Mask) toMask++;
            else if (masked.InputIds[p] == batch.TokenIds[p]) kept++;
            else random++;
        }
        double n = masked.LabelPositions.Length;
        Assert.AreEqual(0.8, toMask / n, 0.02);
        Assert.AreEqual(0.1, random / n, 0.02); // a random draw may hit the original id (p = 1/996): counted as kept
        Assert.AreEqual(0.1, kept / n, 0.02);

        var selected = masked.LabelPositions.ToHashSet();
        for (int i = 0; i < batch.TokenCount; i++)
        {
            if (batch.TokenIds[i] is Cls or Sep) Assert.IsFalse(selected.Contains(i), $"special token at {i} was masked");
            if (!selected.Contains(i))
            {
                Assert.AreEqual(MlmMasking.IgnoreIndex, masked.Labels[i]);
                Assert.AreEqual(batch.TokenIds[i], masked.InputIds[i]);
            }
            else Assert.IsFalse(masked.InputIds[i] is Cls or Sep or Pad, "random replacement drew a special token");
        }
        CollectionAssert.AreEqual(masked.LabelPositions.Select(p => batch.TokenIds[p]).ToArray(), masked.LabelIds);
    }

    [TestMethod]
    public void SameSeedSameMaskDifferentSeedDifferentMask()
    {
        var batch = Batch(20, 2);
        var a = MlmMasking.Apply(batch, Options, new Random(5));
        var b = MlmMasking.Apply(batch, Options, new Random(5));
        var c = MlmMasking.Apply(batch, Options, new Random(6));
        CollectionAssert.AreEqual(a.InputIds, b.InputIds);
        CollectionAssert.AreEqual(a.Labels, b.Labels);
        CollectionAssert.AreNotEqual(a.LabelPositions, c.LabelPositions);
    }

    [TestMethod]
    public void TokenOutsideTheVocabularyIsReported()
    {
        var batch = PackedBatch.FromSequences([[Cls, 5, Vocab + 4, Sep]]);
        var e = Assert.ThrowsExactly<ArgumentException>(() => MlmMasking.Apply(batch, Options, new Random(1)));
        StringAssert.Contains(e.Message, "Token 2");
    }

    [TestMethod]
    public void SplitShardsKeepEveryLabelOnceWithRebasedPositions()
    {
        var batch = Batch(9, 3);
        var masked = MlmMasking.Apply(batch, Options, new Random(1));
        var shards = masked.Split(3);
        Assert.AreEqual(batch.TokenCount, shards.Sum(s => s.Batch.TokenCount));
        CollectionAssert.AreEqual(masked.LabelIds, shards.SelectMany(s => s.LabelIds).ToArray());
        CollectionAssert.AreEqual(masked.InputIds, shards.SelectMany(s => s.InputIds).ToArray());
        foreach (var s in shards)
            foreach (var (p, id) in s.LabelPositions.Zip(s.LabelIds)) Assert.AreEqual(id, s.Batch.TokenIds[p]);
        Assert.ThrowsExactly<ArgumentException>(() => masked.Slice(0, 2).Split(3));
    }
}
