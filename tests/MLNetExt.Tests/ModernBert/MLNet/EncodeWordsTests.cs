using MLNetExt.ModernBert.MLNet;
using MLNetExt.ModernBert.Tokenization;

namespace MLNetExt.Tests.ModernBert.MLNet;

/// <summary>Token classification's word encoding: each word on its own, cut whole at MaxLength, huge rows cut early.</summary>
[TestClass]
public sealed class EncodeWordsTests
{
    static readonly ModernBertTokenizer Tokenizer = ModernBertTokenizer.CreateDefault();

    static ModernBertEncoder Encoder(int maxLength) =>
        new(ModernBertSource.Preset(ModernBertSize.Tiny) with { VocabSize = Tokenizer.VocabSize }, Tokenizer, maxLength, bfloat16: false);

    [TestMethod]
    public void Words_AreTokenizedOneByOneAndCutWhole()
    {
        string[] words = ["alpha", "beta", "gamma", "delta", "epsilon"];
        foreach (int maxLength in new[] { 2, 4, 6, 8, 64 })
        {
            var ids = new List<long> { Tokenizer.ClsId };
            var starts = new List<int>();
            for (int w = 0; w < words.Length; w++)
            {
                int[] piece = Tokenizer.EncodeWithoutSpecialTokens(w == 0 ? words[w] : " " + words[w]);
                if (ids.Count + piece.Length + 1 > maxLength) break;
                starts.Add(ids.Count);
                ids.AddRange(piece.Select(id => (long)id));
            }
            ids.Add(Tokenizer.SepId);

            var encoded = Encoder(maxLength).EncodeWords("  " + string.Join(" \t", words) + " ");
            CollectionAssert.AreEqual(ids, encoded.Ids, $"maxLength {maxLength}");
            CollectionAssert.AreEqual(starts, encoded.WordStarts, $"maxLength {maxLength}");
            Assert.AreEqual((words.Length, starts.Count < words.Length), (encoded.Words, encoded.Truncated), $"maxLength {maxLength}");
        }
    }

    [TestMethod]
    public void HugeWord_CutsTheRowAndLaterWordsAreOnlyCounted()
    {
        var encoder = Encoder(maxLength: 16);
        var encoded = encoder.EncodeWords("alpha beta " + new string('x', 1_000_000) + " gamma delta");
        long[] expected = [Tokenizer.ClsId, .. Tokenizer.EncodeWithoutSpecialTokens("alpha beta").Select(id => (long)id), Tokenizer.SepId];
        CollectionAssert.AreEqual(expected, encoded.Ids);
        Assert.AreEqual((2, 5, true), (encoded.WordStarts.Length, encoded.Words, encoded.Truncated));
        Assert.AreEqual(1, encoder.TruncatedRows);
    }
}
