using System.Text;
using System.Text.Json.Nodes;
using MLNetExt.ModernBert.Tokenization;

namespace MLNetExt.Tests.Tokenization;

/// <summary>
/// Long and odd inputs, truncated at many lengths, against Hugging Face's Rust tokenizers on the same file: the default
/// tokenizer; the same with GPT-NeoX-style normalized space-run tokens and tokens with rstrip / single_word; and
/// GPT-NeoX-20B's own file with ModernBERT's special tokens (tokens up to 512 bytes), so every stage's "what the rest
/// of the text can't change" is exercised at cuts in every kind of place.
/// </summary>
[TestClass]
public sealed class LongInputParityTests
{
    static readonly int[] MaxLengths = [3, 4, 9, 64, 257, 1000, 4099];
    static string _dir = "";
    static (ModernBertTokenizer Ours, HfOracle Hf) _default, _extended, _neox;

    [ClassInitialize]
    public static void SaveFiles(TestContext _)
    {
        _dir = Directory.CreateTempSubdirectory("tokenizer-long-").FullName;
        string path = Path.Combine(_dir, "default.json");
        ModernBertTokenizer.CreateDefault().Save(path);
        _default = (ModernBertTokenizer.Load(path), new HfOracle(path));
        string extended = WriteExtended(path);
        _extended = (ModernBertTokenizer.Load(extended), new HfOracle(extended));
        string neox = Path.Combine(_dir, "neox.json");
        ModernBertTokenizer.Load(Path.Combine(AppContext.BaseDirectory, "Fixtures", "gpt-neox-20b", "tokenizer.json"),
            SpecialTokenIds.ModernBert with { Unk = null }).Save(neox);
        _neox = (ModernBertTokenizer.Load(neox), new HfOracle(neox));
    }

    [ClassCleanup]
    public static void DeleteFiles()
    {
        _default.Hf?.Dispose();
        _extended.Hf?.Dispose();
        _neox.Hf?.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [TestMethod]
    public void SpaceFreeRuns_KeptPrefixEqualsHuggingFace()
    {
        AssertKeptPrefixes(_default,
            new string('a', 100_000), Letters(30_000, seed: 1), new string('-', 20_000), new string('=', 5_003) + "x",
            string.Concat(Enumerable.Repeat("ab", 10_000)), "x" + string.Concat(Enumerable.Repeat("😀", 5_000)) + "y");
        AssertKeptPrefixes(_neox, new string('a', 50_000), new string('-', 20_000), Letters(20_000, seed: 8), Cjk(10_000, seed: 9));
    }

    [TestMethod]
    public void CjkThaiHangulAndBase64_KeptPrefixEqualsHuggingFace()
    {
        AssertKeptPrefixes(_default, Cjk(20_000, seed: 2), Base64(60_000, seed: 3), FromRange(0x0E01, 0x0E5B, 20_000, seed: 4),
            FromRange(0xAC00, 0xD7A3, 10_000, seed: 5), FromRange(0x0900, 0x097F, 20_000, seed: 6));
    }

    [TestMethod]
    public void WhitespaceRuns_KeptPrefixEqualsHuggingFace()
    {
        AssertKeptPrefixes(_default, "x" + new string(' ', 20_000) + "y", new string(' ', 30_000),
            string.Concat(Enumerable.Repeat(" \t\n", 5_000)) + "end", new string(' ', 9_000) + "[MASK] after");
        AssertKeptPrefixes(_extended, "x" + new string(' ', 20_000) + "y", string.Concat(Enumerable.Repeat("a   ", 5_000)));
        AssertKeptPrefixes(_neox, "x" + new string(' ', 20_000) + "y", string.Concat(Enumerable.Repeat("a \n  \t   ", 3_000)) + "[MASK]");
    }

    [TestMethod]
    public void CombiningMarkRuns_KeptPrefixEqualsHuggingFace()
    {
        // Out-of-order marks (classes 230, 220) that NFC must sort: quadratic in .NET's normalizer, not here.
        AssertKeptPrefixes(_default, "a" + string.Concat(Enumerable.Repeat("\u0301\u0316", 20_000)) + "b",
            string.Concat(Enumerable.Repeat("e\u0301\u0323", 5_000)), "Cafe\u0301" + new string('\u0301', 3_000));
    }

    [TestMethod]
    public void AddedTokensAmidLongRuns_KeptPrefixEqualsHuggingFace()
    {
        string piece = new string('a', 3_000) + "[MASK]" + new string(' ', 40) + "[MASK]" + new string('b', 3_000) +
            "<|endoftext|>" + Cjk(1_000, seed: 7) + "[CLS]" + new string('a', 2_000) + "\uD800" + new string('a', 2_000);
        AssertKeptPrefixes(_default, string.Concat(Enumerable.Repeat(piece, 3)));
        AssertKeptPrefixes(_extended, string.Concat(Enumerable.Repeat(piece + " [R]   blorptag  blorptags  ", 3)));
    }

    [TestMethod]
    public void NonCharacterFFFE_IsTokenizedNotThrown()
    {
        // .NET's normalizer throws on U+FFFE; this used to fail any row holding it beside a non-ASCII character.
        AssertKeptPrefixes(_default, "caf\u00E9 \uFFFE e\u0301\uFFFE\u0301", "\uFFFE" + new string('\u0301', 50) + "\u0316 \uFFFE\uFFFE x");
    }

    [TestMethod]
    public void RandomSoups_KeptPrefixEqualsHuggingFace()
    {
        for (int seed = 0; seed < 24; seed++)
        {
            string text = Soup(seed);
            AssertKeptPrefixes((seed % 3) switch { 0 => _default, 1 => _extended, _ => _neox }, text);
        }
    }

    [TestMethod]
    public void OrdinaryText_KeptPrefixEqualsHuggingFace()
    {
        var text = new StringBuilder();
        foreach (string email in SpamSample.Texts.Take(60)) text.Append(email).Append("\n\n");
        AssertKeptPrefixes(_default, text.ToString());
        AssertKeptPrefixes(_extended, text.ToString());
        AssertKeptPrefixes(_neox, text.ToString());
    }

    /// <summary>For each text: all ids equal Hugging Face's, and so does every truncation, with Truncated right.</summary>
    static void AssertKeptPrefixes((ModernBertTokenizer Ours, HfOracle Hf) tokenizers, params string[] texts)
    {
        var (ours, hf) = tokenizers;
        for (int t = 0; t < texts.Length; t++)
        {
            // The reference refuses lone surrogates; UTF-8 (what it works on) would hold U+FFFD for them.
            int[] reference = hf.Encode(Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(texts[t])));
            int[] content = reference[1..^1];
            CollectionAssert.AreEqual(content, ours.EncodeWithoutSpecialTokens(texts[t]), $"text #{t}, all ids");
            foreach (int maxLength in MaxLengths.Append(content.Length + 2).Append(content.Length + 1))
            {
                int keep = Math.Min(content.Length, maxLength - 2);
                int[] expected = [reference[0], .. content[..keep], reference[^1]];
                var encoded = ours.Encode(texts[t], maxLength);
                if (!encoded.Ids.AsSpan().SequenceEqual(expected))
                {
                    int at = 0;
                    while (at < expected.Length && at < encoded.Ids.Length && expected[at] == encoded.Ids[at]) at++;
                    Assert.Fail($"text #{t} ({texts[t].Length} chars), maxLength {maxLength}: first difference at id {at} of {expected.Length}");
                }
                Assert.AreEqual(keep < content.Length, encoded.Truncated, $"text #{t}, maxLength {maxLength}: Truncated");
            }
        }
    }

    /// <summary>5-20k characters of pieces chosen to put cuts everywhere: runs, spaces before masks, marks, surrogates.</summary>
    static string Soup(int seed)
    {
        var random = new Random(seed);
        string[] pieces =
        [
            "hello", " world", "don't", "'re", "  ", "     ", "\n\n", "\t", " [MASK]", "[MASK]", "   [MASK]  ", "<|endoftext|>",
            "[CLS]", "e\u0301", "\u0301\u0316\u0301", "😀", "\uDC00", "日本語", "한국어", "ไทย", "12345", "3.14", "!!!", "---",
            " [R]  ", "blorptag", " blorptags ", "ǅ", "Å", "\u1100\u1161\u11A8", "ﬁ", "\uFFFE",
        ];
        var text = new StringBuilder();
        int length = random.Next(5_000, 20_000);
        while (text.Length < length)
        {
            if (random.Next(10) == 0) text.Append(random.Next(4) switch
            {
                0 => new string('a', random.Next(100, 3_000)),
                1 => new string(' ', random.Next(10, 2_000)),
                2 => Cjk(random.Next(50, 1_000), random.Next()),
                _ => Base64(random.Next(100, 2_000), random.Next()),
            });
            else text.Append(pieces[random.Next(pieces.Length)]);
        }
        return text.ToString();
    }

    /// <summary>The default file plus GPT-NeoX's normalized space runs, an rstrip token and a single_word token.</summary>
    static string WriteExtended(string defaultPath)
    {
        var root = JsonNode.Parse(File.ReadAllText(defaultPath))!.AsObject();
        var added = root["added_tokens"]!.AsArray();
        int id = added.Max(t => (int)t!["id"]!) + 1;
        void Add(string content, bool normalized, bool rstrip = false, bool singleWord = false) => added.Add(new JsonObject
        {
            ["id"] = id++, ["content"] = content, ["single_word"] = singleWord, ["lstrip"] = false, ["rstrip"] = rstrip,
            ["normalized"] = normalized, ["special"] = !normalized,
        });
        for (int spaces = 24; spaces >= 2; spaces--) Add(new string(' ', spaces), normalized: true);
        Add("[R]", normalized: false, rstrip: true);
        Add("blorptag", normalized: true, singleWord: true);
        string path = Path.Combine(Path.GetDirectoryName(defaultPath)!, "extended.json");
        File.WriteAllText(path, root.ToJsonString());
        return path;
    }

    internal static string Letters(int count, int seed)
    {
        var random = new Random(seed);
        return new string(Enumerable.Range(0, count).Select(_ => (char)('a' + random.Next(26))).ToArray());
    }

    internal static string Cjk(int count, int seed) => FromRange(0x4E00, 0x9FA5, count, seed);

    internal static string FromRange(int first, int last, int count, int seed)
    {
        var random = new Random(seed);
        return new string(Enumerable.Range(0, count).Select(_ => (char)random.Next(first, last + 1)).ToArray());
    }

    internal static string Base64(int count, int seed)
    {
        var bytes = new byte[count * 3 / 4 + 3];
        new Random(seed).NextBytes(bytes);
        return Convert.ToBase64String(bytes)[..count];
    }
}
