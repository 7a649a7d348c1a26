using MLNetExt.ModernBert.Tokenization;

namespace MLNetExt.Tests.Tokenization;

/// <summary>
/// Each stage, given only the start of a text, passes on only what the rest cannot change: checked by cutting texts at
/// every position and comparing with the stage's output on the whole text.
/// </summary>
[TestClass]
public sealed class PrefixCertaintyTests
{
    static readonly CachedBpe Bpe = new(DefaultTokenizer.Definition.Value);

    static readonly string[] Texts =
    [
        "I'm sure they're here, we'll see: it's 'tis don't 'r 're 'll x'd",
        "tabs\t\tand \t mixed \r\n\r\n  \n endings   a  b\t\tc",
        "numbers 1234567890 ١٢٣ 3.14159e-10 $1,000.00!!! ---- ==== ....",
        "日本語のテキスト、中文文本。 한국어 😀🎉👍🏽 emoji 𝐀𝐁𝐂 mixed",
        new string('a', 1_500) + "'re" + new string('-', 700) + "x",
        new string(' ', 900) + "y" + new string('b', 800),
        LongInputParityTests.Cjk(600, seed: 1) + LongInputParityTests.Letters(700, seed: 2),
    ];

    [TestMethod]
    public void Bpe_OnATextsStart_GivesAPrefixOfItsIds()
    {
        foreach (string text in Texts)
        {
            var whole = Encode(text, complete: true);
            int step = text.Length > 200 ? 7 : 1;
            for (int cut = 1; cut < text.Length; cut += step)
            {
                if (char.IsHighSurrogate(text[cut - 1])) continue;
                var start = Encode(text[..cut], complete: false);
                CollectionAssert.AreEqual(whole.Take(start.Count).ToArray(), start.ToArray(), $"'{Show(text)}' cut at {cut}");
            }
            // Enough of a long text gives nearly all of its ids.
            Assert.IsGreaterThan(whole.Count / 2, Encode(text[..(text.Length * 3 / 4)], complete: false).Count, Show(text));
        }
    }

    [TestMethod]
    public void AddedTokens_BeforeTheHorizon_MatchAsInTheWholeText()
    {
        AddedToken[] tokens =
        [
            new(1, "[MASK]", Special: true, LStrip: true),
            new(2, "[R]", Special: true, RStrip: true),
            new(3, "<|endoftext|>", Special: true),
            new(4, "tag", Special: false, SingleWord: true),
            new(5, "    ", Special: false),
            new(6, "  ", Special: false),
        ];
        string[] texts =
        [
            "a [MASK] b  [MASK]   [R]   c<|endoftext|>tag tags [MASK]     x   [R] tag",
            new string(' ', 40) + "[MASK]" + new string(' ', 7) + "[R]" + new string(' ', 9) + "tag" + "<|endoftext|" + "> end",
        ];
        // With whitespace tokens, and without (then [MASK] can swallow long runs of spaces).
        foreach (var matcher in new[] { new AddedTokenMatcher(tokens), new AddedTokenMatcher(tokens[..4]) })
        {
            foreach (string text in texts)
            {
                var whole = new List<TextSegment>();
                matcher.Split(text, whole);
                for (int cut = 0; cut < text.Length; cut++)
                {
                    var start = new List<TextSegment>();
                    matcher.Split(text.AsSpan(0, cut), start);
                    int horizon = matcher.Horizon(text.AsSpan(0, cut));
                    CollectionAssert.AreEqual(Before(whole, horizon), Before(start, horizon), $"cut at {cut}, horizon {horizon}");
                }
            }
        }
    }

    [TestMethod]
    public void NfcBoundary_SplitsTextWithoutChangingItsNormalization()
    {
        string text = "😀\U0001D15E\U0001D165 Cafe\u0301 \u1100\u1161\u11A8 e\u0301\u0323 Å ﬁ 가\u11A8 日本 ไทย \u0958\u093C a" + new string('\u0301', 40) + "\u0316b";
        string whole = Nfc.Normalize(text);
        for (int cut = 1; cut < text.Length; cut++)
            if (Nfc.IsBoundaryBefore(text, cut))
                Assert.AreEqual(whole, Nfc.Normalize(text.AsSpan(0, cut)) + Nfc.Normalize(text.AsSpan(cut)), $"cut before U+{(int)text[cut]:X4} at {cut}");
    }

    static List<int> Encode(string text, bool complete)
    {
        var ids = new List<int>();
        long work = 0;
        Bpe.Encode(text, complete, ids, int.MaxValue, ref work);
        return ids;
    }

    static List<TextSegment> Before(List<TextSegment> segments, int horizon) =>
        segments.Where(s => s.Start < horizon)
            .Select(s => s.IsToken ? s : s with { Length = Math.Min(s.Length, horizon - s.Start) })
            .ToList();

    static string Show(string text) => text.Length > 40 ? text[..40] + "..." : text;
}
