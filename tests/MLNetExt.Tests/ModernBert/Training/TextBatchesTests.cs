using MLNetExt.ModernBert.Tokenization;
using MLNetExt.ModernBert.Training;

namespace MLNetExt.Tests.ModernBert.Training;

[TestClass]
public sealed class TextBatchesTests
{
    static readonly ModernBertTokenizer Tokenizer = ModernBertTokenizer.CreateDefault();

    static readonly string[] Texts =
    [
        string.Join(" ", Enumerable.Range(0, 60).Select(i => $"word{i}")),
        "A short one.",
        "Another short text about whales.",
        "Call me Ishmael. Some years ago, never mind how long precisely.",
        "",
    ];

    [TestMethod]
    public void LongTextsAreChunkedWithoutLosingTokens()
    {
        var sequences = TextBatches.Sequences(Tokenizer, Texts, maxSequenceLength: 16);
        Assert.IsTrue(sequences.All(s => s.Length <= 16 && s[0] == Tokenizer.ClsId && s[^1] == Tokenizer.SepId));
        var content = sequences.SelectMany(s => s[1..^1].Select(id => (int)id)).ToArray();
        CollectionAssert.AreEqual(Texts.SelectMany(Tokenizer.EncodeWithoutSpecialTokens).ToArray(), content, "chunks in order, nothing dropped");
    }

    [TestMethod]
    public void BatchesStayUnderTheBudgetAndHoldEnoughSequences()
    {
        var batches = TextBatches.Pack(Tokenizer, Texts, batchTokens: 40, maxSequenceLength: 16, minSequencesPerBatch: 2);
        Assert.IsTrue(batches.All(b => b.TokenCount <= 40 && b.Count >= 2));
        int total = TextBatches.Sequences(Tokenizer, Texts, 16).Sum(s => s.Length);
        Assert.IsGreaterThanOrEqualTo(total - 16, batches.Sum(b => b.TokenCount), "at most one leftover sequence left out");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => TextBatches.Pack(Tokenizer, Texts, batchTokens: 20, maxSequenceLength: 16, minSequencesPerBatch: 2));
    }
}
