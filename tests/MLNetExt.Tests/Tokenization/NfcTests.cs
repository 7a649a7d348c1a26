using System.Text;
using MLNetExt.ModernBert.Tokenization;

namespace MLNetExt.Tests.Tokenization;

/// <summary>Our NFC equals .NET's, also on runs of combining marks too long for .NET's insertion sort, and may be cut where it says.</summary>
[TestClass]
public sealed class NfcTests
{
    // Letters that compose, Hangul jamo, marks of many combining classes (some outside the BMP), characters that
    // decompose into several marks (U+0344, U+0F73), starters that compose backwards (U+0B3E), joiners, emoji.
    static readonly string[] Alphabet =
    [
        "a", "e", "A", "o", "\u1100", "\u1161", "\u11A8", "가", "\u0B47", "\u0B3E", "\u0915", "\u093C", "\u0958",
        "\u0300", "\u0301", "\u0316", "\u0323", "\u0334", "\u0345", "\u05B0", "\u05BC", "\u0F71", "\u0F72", "\u0F73",
        "\u0344", "\u3099", "か", "\U0001D165", "\U0001D16D", "\u200D", "😀", "Å", "\u212B", " ",
    ];

    [TestMethod]
    public void Reordering_EqualsDotNet_OnRandomMarkSoups()
    {
        var random = new Random(1);
        for (int i = 0; i < 3_000; i++)
        {
            var text = new StringBuilder();
            int length = random.Next(1, 60);
            for (int j = 0; j < length; j++) text.Append(Alphabet[random.Next(Alphabet.Length)]);
            string s = text.ToString(), expected = s.Normalize(NormalizationForm.FormC);
            Assert.AreEqual(expected, Nfc.NormalizeByReordering(s), $"soup #{i}");
            Assert.AreEqual(expected, Nfc.Normalize(s), $"soup #{i}");
        }
    }

    [TestMethod]
    public void LongMarkRuns_EqualDotNet()
    {
        string[] texts =
        [
            "x a" + string.Concat(Enumerable.Repeat("\u0301\u0316", 1_500)) + " y",
            "e" + string.Concat(Enumerable.Repeat("\u0F73\u0345\u05B0\U0001D165", 400)) + "가\u11A8 Å",
            "first a\u0301 then " + new string('\u0300', 100) + " and " + string.Concat(Enumerable.Repeat("\u0323\u0301", 50)) + "o",
        ];
        foreach (string text in texts) Assert.AreEqual(text.Normalize(NormalizationForm.FormC), Nfc.Normalize(text));
    }

    [TestMethod]
    public void HugeOutOfOrderMarkRun_IsSortedAndComposed()
    {
        // .NET would take hours on this (its sort is quadratic); canonical order puts all class-220 marks first, and
        // 'a' then composes with the first class-230 mark, which nothing of its class blocks.
        const int pairs = 200_000;
        string text = "a" + string.Concat(Enumerable.Repeat("\u0301\u0316", pairs));
        string expected = "\u00E1" + new string('\u0316', pairs) + new string('\u0301', pairs - 1);
        Assert.AreEqual(("a" + string.Concat(Enumerable.Repeat("\u0301\u0316", 50))).Normalize(NormalizationForm.FormC),
            "\u00E1" + new string('\u0316', 50) + new string('\u0301', 49), "the expected shape, checked with .NET on a short run");
        Assert.AreEqual(expected, Nfc.Normalize(text));
    }

    [TestMethod]
    public void BoundaryCharacters_NeverInteractWithWhatPrecedes()
    {
        // NFC joins a character to what precedes it only by reordering (a non-starter) or composition (a character
        // that ends some character's canonical decomposition). So the first character of a boundary character's
        // decomposition must be a starter and end no decomposition.
        var composesBackwards = new HashSet<int>();
        for (int p = 0; p <= 0x10FFFF; p++)
        {
            if (p is >= 0xD800 and <= 0xDFFF or 0xFFFE) continue; // .NET refuses U+FFFE (see Normalize_KeepsNonCharacterFFFE)
            string d = char.ConvertFromUtf32(p).Normalize(NormalizationForm.FormD);
            if (d.Length == 1 || d == char.ConvertFromUtf32(p)) continue;
            foreach (var rune in d.EnumerateRunes().Skip(1)) composesBackwards.Add(rune.Value);
        }
        int checkedCount = 0;
        for (int c = 0; c <= 0x10FFFF; c++)
        {
            if (c is >= 0xD800 and <= 0xDFFF or 0xFFFE || !Nfc.IsBoundary(new Rune(c))) continue;
            var first = new Rune(c).ToString().Normalize(NormalizationForm.FormD).EnumerateRunes().First();
            Assert.IsFalse(composesBackwards.Contains(first.Value), $"U+{c:X4} starts with a character that composes backwards");
            Assert.IsFalse(MovesBefore("\u0345", first.ToString()) || MovesBefore(first.ToString(), "\u0334"), $"U+{c:X4} starts with a non-starter");
            checkedCount++;
        }
        Assert.IsGreaterThan(100_000, checkedCount, "most assigned characters are boundaries");
    }

    [TestMethod]
    public void Normalize_KeepsNonCharacterFFFE()
    {
        // .NET's normalizer throws on U+FFFE; NFC leaves it and never joins it with anything.
        Assert.AreEqual("\u00E9\uFFFE\u00E9\uFFFE\uFFFE\u0301x", Nfc.Normalize("e\u0301\uFFFEe\u0301\uFFFE\uFFFE\u0301x"));
        string run = "\uFFFE" + new string('\u0301', 40) + "\u0316\uFFFE";
        Assert.AreEqual("\uFFFE\u0316" + new string('\u0301', 40) + "\uFFFE", Nfc.Normalize(run));
    }

    static bool MovesBefore(string first, string second) => ("a" + first + second).Normalize(NormalizationForm.FormD) == "a" + second + first;
}
