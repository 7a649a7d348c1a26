using System.Text;

namespace MLNetExt.ModernBert.Tokenization;

/// <summary>The first content ids of a text, how many characters of it were read, and the bytes BPE merged (the work).</summary>
internal readonly record struct ContentIds(List<int> Ids, int CharsRead, long MergedBytes);

/// <summary>
/// Text to ids without special tokens, in Hugging Face's order: added tokens are split out of the raw text (with lstrip
/// for [MASK]), the rest is NFC-normalized, normalized added tokens (GPT-NeoX's runs of spaces) are split out, then
/// GPT-2 pre-tokenization and BPE.
/// <para>
/// Only as much of the text is read as the ids asked for need, so a megabyte row truncated to 512 tokens costs about
/// what a short one does. A prefix of the text goes through the stages, each passing on only what the rest of the
/// text cannot change: matches that end (with the character after them) before the prefix does; text normalized up to
/// a character NFC never joins to what precedes it; words whose end the prefix shows; and of a word that may go on,
/// the ids <see cref="LongWordBpe"/> proves. If that leaves too few ids, the prefix doubles, so the work stays linear
/// in what is read.
/// </para>
/// </summary>
internal sealed class ContentEncoder
{
    readonly CachedBpe _bpe;
    readonly AddedTokenMatcher _rawTokens;
    readonly AddedTokenMatcher _normalizedTokens;
    readonly bool _nfc;

    public ContentEncoder(TokenizerDefinition definition)
    {
        _bpe = new CachedBpe(definition);
        _rawTokens = new AddedTokenMatcher(definition.AddedTokens.Where(t => !t.Normalized));
        _normalizedTokens = new AddedTokenMatcher(definition.AddedTokens.Where(t => t.Normalized));
        _nfc = definition.Nfc;
    }

    /// <summary>
    /// The ids of <paramref name="text"/> if it has at most <paramref name="limit"/>; otherwise its first ids, more than
    /// <paramref name="limit"/> of them (so the caller knows it truncates).
    /// </summary>
    public ContentIds Encode(string? text, int limit)
    {
        var ids = new List<int>();
        if (string.IsNullOrEmpty(text)) return new(ids, 0, 0);
        int cap = limit == int.MaxValue ? limit : limit + 1;
        // A token holds at least one UTF-8 byte, a character at most three; ordinary text has about four per token.
        int read = limit >= 3L * text.Length ? text.Length : (int)Math.Min(text.Length, 16L * cap + 1024);
        long merged = 0;
        while (true)
        {
            if (read < text.Length && char.IsHighSurrogate(text[read - 1])) read--;
            bool complete = read == text.Length;
            ids.Clear();
            EncodePrefix(text.AsSpan(0, read), complete, ids, cap, ref merged);
            if (complete || ids.Count >= cap) return new(ids, read, merged);
            read = (int)Math.Min(text.Length, 2L * read);
        }
    }

    void EncodePrefix(ReadOnlySpan<char> prefix, bool complete, List<int> ids, int cap, ref long merged)
    {
        string text = WithValidSurrogates(prefix);
        var segments = new List<TextSegment>();
        _rawTokens.Split(text, segments);
        int horizon = complete ? text.Length : _rawTokens.Horizon(text);
        foreach (var s in segments)
        {
            if (s.Start >= horizon) return;
            if (s.IsToken)
            {
                ids.Add(s.Id);
                if (ids.Count >= cap) return;
                continue;
            }
            int end = s.Start + s.Length;
            if (end < horizon || complete)
            {
                if (!EncodePlain(text.AsSpan(s.Start, s.Length), complete: true, ids, cap, ref merged)) return;
                continue;
            }
            // The last certain piece may go on: normalize it only up to a character NFC keeps apart.
            end = horizon;
            while (_nfc && end > s.Start && !Nfc.IsBoundaryBefore(text, end)) end--;
            if (end > s.Start) EncodePlain(text.AsSpan(s.Start, end - s.Start), complete: false, ids, cap, ref merged);
            return;
        }
    }

    /// <summary>Normalizes and encodes raw text between added tokens; false when it stopped (enough ids, or want of text).</summary>
    bool EncodePlain(ReadOnlySpan<char> raw, bool complete, List<int> ids, int cap, ref long merged)
    {
        string text = _nfc ? Nfc.Normalize(raw) : raw.ToString();
        var segments = new List<TextSegment>();
        _normalizedTokens.Split(text, segments);
        int horizon = complete ? text.Length : _normalizedTokens.Horizon(text);
        foreach (var s in segments)
        {
            if (s.Start >= horizon) return false;
            if (s.IsToken) ids.Add(s.Id);
            else
            {
                bool certain = complete || s.Start + s.Length < horizon;
                int length = certain ? s.Length : horizon - s.Start;
                if (!_bpe.Encode(text.AsSpan(s.Start, length), certain, ids, cap, ref merged) || !certain) return false;
            }
            if (ids.Count >= cap) return false;
        }
        return complete;
    }

    // Hugging Face works on UTF-8, where a lone UTF-16 surrogate cannot exist; encode it as U+FFFD, as UTF-8 would
    // (one character for one, so positions keep their meaning).
    static string WithValidSurrogates(ReadOnlySpan<char> text) =>
        text.ContainsAnyInRange('\uD800', '\uDFFF') && !Utf16IsValid(text) ? Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text.ToString())) : text.ToString();

    static bool Utf16IsValid(ReadOnlySpan<char> text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (!char.IsSurrogate(text[i])) continue;
            if (!char.IsHighSurrogate(text[i]) || i + 1 == text.Length || !char.IsLowSurrogate(text[i + 1])) return false;
            i++;
        }
        return true;
    }
}
