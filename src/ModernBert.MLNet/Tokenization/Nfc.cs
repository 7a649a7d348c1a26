using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace MLNetExt.ModernBert.Tokenization;

/// <summary>
/// NFC in time linear in the text (n log n on runs of combining marks), and where text may be cut so that
/// NFC(a + b) = NFC(a) + NFC(b).
/// <para>
/// .NET's normalizer (ICU) puts a run of combining marks in canonical order by insertion, so 40,000 marks out of order
/// take seconds and a megabyte takes hours. A long run is therefore reordered here first: each character is
/// decomposed (NFD of one character) and each run of non-starters is stably sorted by combining class; the result is
/// canonically equivalent to the input, so .NET's NFC of it is the NFC of the input, and .NET only composes. .NET does
/// not expose combining classes: they are compared by asking .NET's NFD whether it swaps two marks after a letter.
/// </para>
/// </summary>
internal static class Nfc
{
    /// <summary>Runs of marks longer than this are reordered here (shorter ones cost .NET little).</summary>
    const int LongMarkRun = 32;
    // The caches hold one entry per distinct code point met in long runs; beyond this many, compute without caching.
    const int MaxCached = 1 << 16;
    const int YpogegrammeniCcc240 = 0x0345, TildeOverlayCcc1 = 0x0334;
    const char NonCharacter = '\uFFFE';

    static readonly ConcurrentDictionary<int, string> Decompositions = new();
    static readonly ConcurrentDictionary<int, bool> NonStarters = new();
    static readonly ConcurrentDictionary<long, int> ClassOrder = new();

    public static string Normalize(ReadOnlySpan<char> text)
    {
        if (!text.ContainsAnyExceptInRange('\0', '\u007f')) return text.ToString();
        // Only the stretches around long mark runs (between boundary characters) take the slower path.
        var result = new StringBuilder(text.Length);
        int done = 0;
        while (FindLongMarkRun(text, done, out int start, out int end))
        {
            while (start > done && !IsBoundaryBefore(text, start)) start--;
            while (end < text.Length && !IsBoundaryBefore(text, end)) end++;
            result.Append(ByDotNet(text[done..start])).Append(NormalizeByReordering(text[start..end]));
            done = end;
        }
        return done == 0 ? ByDotNet(text) : result.Append(ByDotNet(text[done..])).ToString();
    }

    /// <summary>
    /// True when NFC never joins the character at <paramref name="index"/> (or what it decomposes into) with anything
    /// before it, so text can be normalized in pieces cut there: letters, numbers, punctuation, symbols and spaces, but
    /// not Hangul jamo (a vowel or final jamo composes with the syllable before it), marks, or unassigned, private or
    /// format characters. Proved for every such code point against .NET's own tables by
    /// NfcTests.BoundaryCharacters_NeverInteractWithWhatPrecedes.
    /// </summary>
    public static bool IsBoundaryBefore(ReadOnlySpan<char> text, int index)
    {
        if (text[index] < 0x80) return true;
        return Rune.DecodeFromUtf16(text[index..], out var rune, out _) == OperationStatus.Done && IsBoundary(rune);
    }

    internal static bool IsBoundary(Rune rune)
    {
        if (rune.Value is >= 0x1100 and <= 0x11FF or >= 0xA960 and <= 0xA97F or >= 0xD7B0 and <= 0xD7FF) return false;
        return Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark
                or UnicodeCategory.OtherNotAssigned or UnicodeCategory.PrivateUse or UnicodeCategory.Format => false,
            _ => true,
        };
    }

    /// <summary>NFC computed through this class's own canonical ordering (used for long mark runs; tests call it on any text).</summary>
    internal static string NormalizeByReordering(ReadOnlySpan<char> text)
    {
        var points = new List<int>(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            if (rune.Value < 0x80) points.Add(rune.Value);
            else foreach (var part in Decomposition(rune.Value).EnumerateRunes()) points.Add(part.Value);
        }
        for (int i = 0; i < points.Count;)
        {
            if (!IsNonStarter(points[i])) { i++; continue; }
            int end = i;
            while (end < points.Count && IsNonStarter(points[end])) end++;
            if (end - i > 1) SortByCombiningClass(points, i, end - i);
            i = end;
        }
        var decomposed = new StringBuilder(points.Count);
        Span<char> utf16 = stackalloc char[2];
        foreach (int p in points) decomposed.Append(utf16[..new Rune(p).EncodeToUtf16(utf16)]);
        return ByDotNet(decomposed.ToString());
    }

    // .NET throws on U+FFFE, a noncharacter that NFC leaves alone and that joins with nothing: normalize around it.
    static string ByDotNet(ReadOnlySpan<char> text)
    {
        if (!text.Contains(NonCharacter)) return text.IsEmpty ? "" : text.ToString().Normalize(NormalizationForm.FormC);
        var result = new StringBuilder(text.Length);
        foreach (var range in text.Split(NonCharacter))
        {
            if (range.Start.Value > 0) result.Append(NonCharacter);
            result.Append(ByDotNet(text[range]));
        }
        return result.ToString();
    }

    static bool FindLongMarkRun(ReadOnlySpan<char> text, int from, out int start, out int end)
    {
        int width = 1;
        int runStart = from, marks = 0;
        for (int i = from; i < text.Length; i += Math.Max(1, width))
        {
            Rune.DecodeFromUtf16(text[i..], out var rune, out width);
            if (!IsMark(rune)) { (runStart, marks) = (i + Math.Max(1, width), 0); continue; }
            if (++marks <= LongMarkRun) continue;
            int j = i;
            while (j < text.Length && Rune.DecodeFromUtf16(text[j..], out rune, out width) == OperationStatus.Done && IsMark(rune)) j += width;
            (start, end) = (runStart, j);
            return true;
        }
        (start, end) = (0, 0);
        return false;
    }

    static bool IsMark(Rune r) => r.Value >= 0x300 && Rune.GetUnicodeCategory(r) is UnicodeCategory.NonSpacingMark
        or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark;

    // Stable: marks of one class keep their order, as canonical ordering requires.
    static void SortByCombiningClass(List<int> points, int start, int count)
    {
        var distinct = points.GetRange(start, count).Distinct().ToList();
        distinct.Sort(CompareClasses);
        var rank = new Dictionary<int, int>();
        for (int i = 0; i < distinct.Count; i++)
            rank[distinct[i]] = i > 0 && CompareClasses(distinct[i - 1], distinct[i]) == 0 ? rank[distinct[i - 1]] : i;
        var sorted = points.GetRange(start, count).Select((p, i) => (p, i)).OrderBy(x => rank[x.p]).ThenBy(x => x.i).Select(x => x.p).ToList();
        for (int i = 0; i < count; i++) points[start + i] = sorted[i];
    }

    static string Decomposition(int codePoint) => codePoint == NonCharacter ? "\uFFFE" :
        Cached(Decompositions, codePoint, static p => new Rune(p).ToString().Normalize(NormalizationForm.FormD));

    // A non-starter (combining class > 0) is moved by NFD before U+0345 (class 240) or after U+0334 (class 1).
    static bool IsNonStarter(int codePoint) => codePoint >= 0x300 && codePoint != NonCharacter &&
        Cached(NonStarters, codePoint, static p => Swaps(YpogegrammeniCcc240, p) || Swaps(p, TildeOverlayCcc1));

    static int CompareClasses(int a, int b) =>
        a == b ? 0 : Cached(ClassOrder, (long)a << 32 | (uint)b, static key =>
        {
            int x = (int)(key >> 32), y = (int)key;
            return Swaps(x, y) ? 1 : Swaps(y, x) ? -1 : 0;
        });

    /// <summary>Whether NFD puts <paramref name="second"/> before <paramref name="first"/> after a letter (class(first) &gt; class(second) &gt; 0).</summary>
    static bool Swaps(int first, int second)
    {
        string a = new Rune(first).ToString(), b = new Rune(second).ToString();
        return ("a" + a + b).Normalize(NormalizationForm.FormD) == "a" + b + a;
    }

    static TValue Cached<TKey, TValue>(ConcurrentDictionary<TKey, TValue> cache, TKey key, Func<TKey, TValue> compute) where TKey : notnull
    {
        if (cache.TryGetValue(key, out var value)) return value;
        value = compute(key);
        if (cache.Count < MaxCached) cache.TryAdd(key, value);
        return value;
    }
}
