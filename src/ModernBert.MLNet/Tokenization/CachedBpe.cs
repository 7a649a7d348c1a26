using System.Collections.Concurrent;
using Microsoft.ML.Tokenizers;

namespace MLNetExt.ModernBert.Tokenization;

/// <summary>
/// Microsoft.ML.Tokenizers' byte-level <see cref="BpeTokenizer"/> applied word by word after GPT-2 pre-tokenization,
/// with a thread-safe word -> ids cache: email text repeats the same words, so most words skip BPE entirely.
/// </summary>
internal sealed class CachedBpe
{
    // Bounds memory on endless streams of distinct words (hashes, base64); long words are rarely repeated.
    const int MaxCachedWords = 1_000_000;
    const int MaxCachedWordLength = 64;

    readonly BpeTokenizer _bpe;
    readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public CachedBpe(TokenizerDefinition definition)
    {
        _bpe = BpeTokenizer.Create(new BpeOptions(definition.Vocab)
        {
            Merges = definition.Merges.Select(m => $"{m.Left} {m.Right}"),
            ByteLevel = true,
        });
        _lookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Appends the ids of <paramref name="text"/>, which holds no added tokens and is already normalized.</summary>
    public void Encode(ReadOnlySpan<char> text, List<int> ids)
    {
        for (int start = 0, end; start < text.Length; start = end)
        {
            end = ByteLevelSplitter.NextWordEnd(text, start);
            var word = text[start..end];
            if (_lookup.TryGetValue(word, out var cached))
            {
                ids.AddRange(cached);
                continue;
            }
            var encoded = _bpe.EncodeToIds(word, considerPreTokenization: false, considerNormalization: false);
            ids.AddRange(encoded);
            if (word.Length <= MaxCachedWordLength && _cache.Count < MaxCachedWords) _lookup.TryAdd(word, [.. encoded]);
        }
    }
}
