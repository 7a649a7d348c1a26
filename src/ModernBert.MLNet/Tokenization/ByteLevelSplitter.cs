using System.Globalization;
using System.Text;

namespace MLNetExt.ModernBert.Tokenization;

/// <summary>
/// GPT-2's pre-tokenizer (Hugging Face ByteLevel with use_regex, no prefix space), written out by hand rather than as
/// the regex <c>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+</c>: .NET regexes see
/// UTF-16 code units, so a letter outside the BMP would be split as a surrogate pair; here every class test is on code points.
/// </summary>
internal static class ByteLevelSplitter
{
    enum CharClass { Letter, Number, Space, Other }

    /// <summary>End of the word that starts at <paramref name="i"/>; the alternatives are tried in the regex's order.</summary>
    public static int NextWordEnd(ReadOnlySpan<char> text, int i)
    {
        int contraction = ContractionLength(text[i..]);
        if (contraction > 0) return i + contraction;

        var cls = ClassAt(text, i, out int width);
        if (text[i] == ' ' && i + 1 < text.Length)
        {
            var next = ClassAt(text, i + 1, out _);
            if (next != CharClass.Space) return RunEnd(text, i + 1, next); // ' ?X+' with the optional space
        }
        if (cls != CharClass.Space) return RunEnd(text, i + width, cls);

        // \s+(?!\S) keeps the last space of a run for the next word; a lone space before a word is \s+.
        int spaceEnd = RunEnd(text, i + width, CharClass.Space);
        return spaceEnd == text.Length || spaceEnd - i == 1 ? spaceEnd : spaceEnd - 1;
    }

    static int ContractionLength(ReadOnlySpan<char> s)
    {
        if (s.Length < 2 || s[0] != '\'') return 0;
        if (s[1] is 's' or 't' or 'm' or 'd') return 2;
        if (s.Length >= 3 && (s[1..3] is "re" || s[1..3] is "ve" || s[1..3] is "ll")) return 3;
        return 0;
    }

    static int RunEnd(ReadOnlySpan<char> text, int i, CharClass cls)
    {
        while (i < text.Length && ClassAt(text, i, out int width) == cls) i += width;
        return i;
    }

    static CharClass ClassAt(ReadOnlySpan<char> text, int i, out int width)
    {
        char c = text[i];
        if (c < 128)
        {
            width = 1;
            return char.IsAsciiLetter(c) ? CharClass.Letter
                : char.IsAsciiDigit(c) ? CharClass.Number
                : c is ' ' or '\t' or '\n' or '\v' or '\f' or '\r' ? CharClass.Space
                : CharClass.Other;
        }
        Rune.DecodeFromUtf16(text[i..], out var rune, out width);
        if (Rune.IsWhiteSpace(rune)) return CharClass.Space;
        return Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => CharClass.Letter,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => CharClass.Number,
            _ => CharClass.Other,
        };
    }
}
