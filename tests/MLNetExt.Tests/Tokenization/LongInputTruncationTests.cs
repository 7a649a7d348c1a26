using System.Text;
using MLNetExt.ModernBert.Tokenization;
using static MLNetExt.Tests.Tokenization.LongInputParityTests;

namespace MLNetExt.Tests.Tokenization;

/// <summary>
/// A huge text truncated to a few tokens is read only as far as those need, a huge word costs work linear in its
/// bytes, and pairs are cut longest-first exactly as Hugging Face does. Work is counted (characters read, bytes BPE
/// merged), never timed.
/// </summary>
[TestClass]
public sealed class LongInputTruncationTests
{
    static readonly ModernBertTokenizer Default = ModernBertTokenizer.CreateDefault();

    static IEnumerable<(string Name, string Text)> Megabytes()
    {
        const int size = 1_000_000;
        var ordinary = new StringBuilder();
        foreach (string email in SpamSample.Texts.TakeWhile(_ => ordinary.Length < size)) ordinary.Append(email).Append("\n\n");
        yield return ("one letter", new string('a', size));
        yield return ("random letters", Letters(size, seed: 1));
        yield return ("CJK", Cjk(size, seed: 2));
        yield return ("base64", Base64(size, seed: 3));
        yield return ("dashes", new string('-', size));
        yield return ("emoji", string.Concat(Enumerable.Repeat("😀", size / 2)));
        yield return ("marks", "a" + string.Concat(Enumerable.Repeat("\u0301\u0316", size / 10)));
        yield return ("emails", ordinary.ToString(0, size));
    }

    [TestMethod]
    public void MegabyteRows_AreReadOnlyAsFarAsTheKeptIdsNeed()
    {
        foreach (var (name, text) in Megabytes())
        {
            var encoded = Default.Encode(text, maxLength: 16);
            Assert.IsTrue(encoded.Truncated && encoded.Ids.Length == 16, name);
            foreach (int budget in new[] { 14, 510 })
            {
                var content = Default.EncodeContent(text, budget);
                Assert.IsGreaterThan(budget, content.Ids.Count, name);
                CollectionAssert.AreEqual(encoded.Ids[1..^1], content.Ids.Take(14).ToArray(), $"{name}: the same first ids at any budget");
                // A run of combining marks must be read whole: NFC sorts the entire run, so its first token depends on all of it.
                if (name == "marks") continue;
                Assert.IsLessThanOrEqualTo(64 * 1024, content.CharsRead, $"{name}, budget {budget}: characters read");
                Assert.IsLessThanOrEqualTo(256 * 1024, content.MergedBytes, $"{name}, budget {budget}: bytes merged");
            }
        }
    }

    [TestMethod]
    public void HugeWords_CostWorkLinearInTheirBytes()
    {
        foreach (string word in new[] { Letters(300_000, seed: 4), Cjk(100_000, seed: 5), new string('a', 300_000), new string('-', 300_000) })
        {
            var content = Default.EncodeContent(word, int.MaxValue);
            Assert.AreEqual(word.Length, content.CharsRead);
            Assert.IsLessThanOrEqualTo(4L * Encoding.UTF8.GetByteCount(word), content.MergedBytes, $"{word[..3]}...: bytes merged");
            CollectionAssert.AreEqual(content.Ids.Take(1000).ToArray(), Default.EncodeContent(word, 999).Ids.Take(1000).ToArray());
        }
    }

    [TestMethod]
    public void MegabyteOfSpacesBeforeMask_IsSwallowedByTheMask()
    {
        // [MASK] takes the whitespace before it (lstrip), so even the first token waits for the end of the run.
        string text = new string(' ', 1_000_000) + "[MASK] x";
        int[] expected = [Default.ClsId, Default.MaskId, .. Default.EncodeWithoutSpecialTokens(" x"), Default.SepId];
        CollectionAssert.AreEqual(expected, Default.Encode(text, maxLength: 16).Ids);
        CollectionAssert.AreEqual(expected[..2].Append(Default.SepId).ToArray(), Default.Encode(text, maxLength: 3).Ids);
    }

    [TestMethod]
    public void EncodePair_TruncatesLongestFirstAsHuggingFace()
    {
        string longA = new string('a', 5_000), longCjk = Cjk(3_000, seed: 6), ordinary = SpamSample.Texts[3], shortText = "alpha beta gamma";
        (string?, string?)[] pairs =
        [
            (longA, longCjk), (longCjk, longA), (longA, longA), (longCjk, longCjk + "x"), (longA, shortText),
            (shortText, longCjk), (ordinary, shortText), (shortText, shortText), (null, longA), (longA, ""),
        ];
        foreach (var (first, second) in pairs)
        {
            int[] a = Default.EncodeWithoutSpecialTokens(first), b = Default.EncodeWithoutSpecialTokens(second);
            foreach (int maxLength in new[] { 3, 4, 5, 10, 11, 40, 41, 700, 701, a.Length + b.Length + 3, a.Length + b.Length + 2 })
            {
                var (keepA, keepB) = HuggingFaceLongestFirst(a.Length, b.Length, maxLength - 3);
                int[] expected = [Default.ClsId, .. a[..keepA], Default.SepId, .. b[..keepB], Default.SepId];
                var encoded = Default.EncodePair(first, second, maxLength);
                CollectionAssert.AreEqual(expected, encoded.Ids, $"lengths {a.Length}/{b.Length}, maxLength {maxLength}");
                Assert.AreEqual(keepA + keepB < a.Length + b.Length, encoded.Truncated);
            }
        }
    }

    /// <summary>tokenizers' TruncationStrategy::LongestFirst (utils/truncation.rs), on the full lengths.</summary>
    static (int, int) HuggingFaceLongestFirst(int lengthA, int lengthB, int maxLength)
    {
        if (lengthA + lengthB <= maxLength) return (lengthA, lengthB);
        int n1 = lengthA, n2 = lengthB;
        bool swap = n1 > n2;
        if (swap) (n1, n2) = (n2, n1);
        n2 = n1 > maxLength ? n1 : Math.Max(n1, maxLength - n1);
        if (n1 + n2 > maxLength)
        {
            n1 = maxLength / 2;
            n2 = n1 + maxLength % 2;
        }
        if (swap) (n1, n2) = (n2, n1);
        return (Math.Min(n1, lengthA), Math.Min(n2, lengthB));
    }
}
