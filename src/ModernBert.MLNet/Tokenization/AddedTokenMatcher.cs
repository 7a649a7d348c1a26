using System.Buffers;
using System.Globalization;

namespace MLNetExt.ModernBert.Tokenization;

/// <summary>A piece of text: an added token's id, or plain text to pre-tokenize and BPE (<see cref="Id"/> = -1).</summary>
internal readonly record struct TextSegment(int Id, int Start, int Length)
{
    public bool IsToken => Id >= 0;
}

/// <summary>
/// Finds added tokens the way Hugging Face's AddedVocabulary does: leftmost match first, the longest one at that
/// position, non-overlapping; then single_word / lstrip / rstrip adjust or discard each match.
/// </summary>
internal sealed class AddedTokenMatcher
{
    // Tokens keyed by their first two characters (longest first), and one-character tokens: most positions that
    // start like a token (a space, an 'a') are rejected by one lookup.
    readonly Dictionary<int, AddedToken[]> _byFirstTwo;
    readonly Dictionary<char, AddedToken> _singleChar;
    readonly SearchValues<char> _firstChars;
    readonly int _longest;
    readonly bool _anyLStrip;

    public AddedTokenMatcher(IEnumerable<AddedToken> tokens)
    {
        var list = tokens.Where(t => t.Content.Length > 0).ToList();
        _byFirstTwo = list.Where(t => t.Content.Length > 1)
            .GroupBy(t => Pair(t.Content[0], t.Content[1]))
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Content.Length).ToArray());
        _singleChar = list.Where(t => t.Content.Length == 1).ToDictionary(t => t.Content[0]);
        _firstChars = SearchValues.Create(list.Select(t => t.Content[0]).Distinct().ToArray());
        _longest = list.Select(t => t.Content.Length).DefaultIfEmpty(0).Max();
        _anyLStrip = list.Any(t => t.LStrip);
    }

    /// <summary>
    /// Where the segments of <paramref name="start"/>, the first characters of a longer text, stop being certain: a
    /// match starting before it lies, with the character after it, inside <paramref name="start"/>, so the longer text
    /// matches there alike; a later match may reach back over whitespace (lstrip), hence the step back over it.
    /// </summary>
    public int Horizon(ReadOnlySpan<char> start)
    {
        int horizon = Math.Max(0, start.Length - _longest - 1);
        if (_anyLStrip) horizon = LeadingWhitespaceStart(start[..horizon]);
        return horizon;
    }

    /// <summary>Splits <paramref name="sentence"/> into segments that cover it, in order.</summary>
    public void Split(ReadOnlySpan<char> sentence, List<TextSegment> output)
    {
        int startOffset = 0; // end of the last emitted token
        int searchFrom = 0;  // the next match is searched after the previous match (not after its rstrip)
        int spaceFrom = 0, spaceEnd = 0; // the last whitespace run scanned for rstrip: any start in it ends at spaceEnd
        while (FindNext(sentence, searchFrom, out var token, out int matchStart))
        {
            int start = matchStart, stop = matchStart + token.Content.Length;
            searchFrom = stop;
            if (token.SingleWord && !IsSingleWord(sentence, start, stop)) continue;
            // As Hugging Face: whitespace back to the previous token's end (scanning no further, so never twice).
            if (token.LStrip) start = start > startOffset ? startOffset + LeadingWhitespaceStart(sentence[startOffset..start]) : startOffset;
            if (token.RStrip)
            {
                if (stop < spaceFrom || stop > spaceEnd) (spaceFrom, spaceEnd) = (stop, stop + TrailingWhitespaceLength(sentence[stop..]));
                stop = spaceEnd;
            }
            if (start > startOffset) output.Add(new TextSegment(-1, startOffset, start - startOffset));
            output.Add(new TextSegment(token.Id, start, stop - start));
            startOffset = stop;
        }
        if (startOffset < sentence.Length) output.Add(new TextSegment(-1, startOffset, sentence.Length - startOffset));
    }

    bool FindNext(ReadOnlySpan<char> sentence, int from, out AddedToken token, out int position)
    {
        while (from < sentence.Length)
        {
            int i = sentence[from..].IndexOfAny(_firstChars);
            if (i < 0) break;
            position = from + i;
            // Candidates are sorted longest first, so the first hit is the leftmost-longest match.
            if (position + 1 < sentence.Length && _byFirstTwo.TryGetValue(Pair(sentence[position], sentence[position + 1]), out var candidates))
            {
                foreach (var candidate in candidates)
                {
                    if (sentence[position..].StartsWith(candidate.Content, StringComparison.Ordinal))
                    {
                        token = candidate;
                        return true;
                    }
                }
            }
            if (_singleChar.TryGetValue(sentence[position], out var single))
            {
                token = single;
                return true;
            }
            from = position + 1;
        }
        token = null!;
        position = -1;
        return false;
    }

    static int Pair(char first, char second) => first << 16 | second;

    static bool IsSingleWord(ReadOnlySpan<char> sentence, int start, int stop) =>
        (start == 0 || !IsWordChar(sentence[start - 1])) && (stop == sentence.Length || !IsWordChar(sentence[stop]));

    // Regex \w: letters, marks, decimal digits, connector punctuation.
    static bool IsWordChar(char c) => char.GetUnicodeCategory(c) switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.NonSpacingMark
            or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark
            or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.ConnectorPunctuation => true,
        _ => false,
    };

    static int LeadingWhitespaceStart(ReadOnlySpan<char> before)
    {
        int i = before.Length;
        while (i > 0 && char.IsWhiteSpace(before[i - 1])) i--;
        return i;
    }

    static int TrailingWhitespaceLength(ReadOnlySpan<char> after)
    {
        int i = 0;
        while (i < after.Length && char.IsWhiteSpace(after[i])) i++;
        return i;
    }
}
