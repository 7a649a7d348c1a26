using System.Collections.Concurrent;
using System.Text;

namespace MLNetExt.ModernBert.Tokenization;

/// <summary>
/// GPT-2 pre-tokenization, then BPE word by word (<see cref="BpeMerges"/>; words over <see cref="LongWordChars"/> characters by
/// <see cref="LongWordBpe"/>), with a thread-safe word -> ids cache: email text repeats the same words, so most words
/// skip BPE entirely. Stops once the caller has the ids it asked for.
/// </summary>
internal sealed class CachedBpe
{
    // Bounds memory on endless streams of distinct words (hashes, base64); long words are rarely repeated.
    const int MaxCachedWords = 1_000_000;
    const int MaxCachedWordLength = 64;
    const int LongWordChars = 2 * LongWordBpe.Chunk;
    // The regex picks a word's kind from at most its first three characters ('re): a word cut shorter is unknown.
    const int MinPartialWord = 4;

    readonly BpeMerges _bpe;
    readonly LongWordBpe _longWords;
    readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public CachedBpe(TokenizerDefinition definition)
    {
        _bpe = new BpeMerges(definition);
        _longWords = new LongWordBpe(_bpe, definition.Vocab.Keys);
        _lookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>
    /// Appends the ids of <paramref name="text"/> (normalized, holding no added tokens) until <paramref name="ids"/>
    /// holds <paramref name="cap"/>. When <paramref name="complete"/> is false, <paramref name="text"/> is only the start
    /// of a longer piece and only ids no continuation can change are appended: a word is certain once two characters
    /// after it are seen ("'r" ends a word unless an "e" follows), and of the word that may go on,
    /// <see cref="LongWordBpe"/> keeps what it can prove. Returns false when it stopped for want of more text.
    /// <paramref name="mergedBytes"/> grows by the bytes BPE merged (the work).
    /// </summary>
    public bool Encode(ReadOnlySpan<char> text, bool complete, List<int> ids, int cap, ref long mergedBytes)
    {
        for (int start = 0, end; start < text.Length && ids.Count < cap; start = end)
        {
            end = ByteLevelSplitter.NextWordEnd(text, start);
            if (complete || end + 1 < text.Length)
            {
                EncodeWord(text[start..end], complete: true, ids, cap, ref mergedBytes);
                continue;
            }
            int known = text.Length - 1;
            if (known - start < MinPartialWord) return false;
            if (char.IsHighSurrogate(text[known - 1])) known--;
            return EncodeWord(text[start..known], complete: false, ids, cap, ref mergedBytes);
        }
        return true;
    }

    bool EncodeWord(ReadOnlySpan<char> word, bool complete, List<int> ids, int cap, ref long mergedBytes)
    {
        bool cacheable = complete && word.Length <= MaxCachedWordLength;
        if (cacheable && _lookup.TryGetValue(word, out var cached))
        {
            ids.AddRange(cached);
            return true;
        }
        if (!complete || word.Length > LongWordChars) return _longWords.Encode(word, complete, ids, cap, ref mergedBytes);

        Span<byte> bytes = stackalloc byte[Encoding.UTF8.GetMaxByteCount(word.Length)];
        int byteCount = Encoding.UTF8.GetBytes(word, bytes);
        Span<int> symbols = stackalloc int[byteCount];
        for (int i = 0; i < byteCount; i++) symbols[i] = _bpe.ByteId(bytes[i]);
        int first = ids.Count;
        _bpe.Merge(symbols, ids);
        mergedBytes += byteCount;
        if (cacheable && _cache.Count < MaxCachedWords) _lookup.TryAdd(word, ids.GetRange(first, ids.Count - first).ToArray());
        return true;
    }
}
