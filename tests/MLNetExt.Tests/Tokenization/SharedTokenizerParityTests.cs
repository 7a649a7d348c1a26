using System.Text.Json.Nodes;
using MLNetExt.ModernBert.Tokenization;

namespace MLNetExt.Tests.Tokenization;

/// <summary>
/// GPT-NeoX-20B's real tokenizer.json (ModernBERT's tokenizer family, Fixtures/gpt-neox-20b): our ids must equal
/// Hugging Face's Rust tokenizers on 2,016 real emails.
/// </summary>
[TestClass]
public sealed class SharedTokenizerParityTests
{
    // The file is GPT-NeoX's: its added tokens end at 50280 ('RWKV'), so ModernBERT's [UNK]=50280 cannot be added.
    static readonly SpecialTokenIds ModernBertWithoutUnk = SpecialTokenIds.ModernBert with { Unk = null };

    static string NeoxPath => Path.Combine(AppContext.BaseDirectory, "Fixtures", "gpt-neox-20b", "tokenizer.json");

    [TestMethod]
    public void NeoxFile_GivesHuggingFaceIds_OnSpamSample()
    {
        var ours = ModernBertTokenizer.Load(NeoxPath, ModernBertWithoutUnk);
        using var hf = new HfOracle(NeoxPath);
        HfOracle.AssertSameIds(SpamSample.Texts, ours.EncodeWithoutSpecialTokens, hf.Encode, ours);
    }

    [TestMethod]
    public void NeoxFile_GivesHuggingFaceIds_OnEdgeCases()
    {
        var ours = ModernBertTokenizer.Load(NeoxPath, ModernBertWithoutUnk);
        using var hf = new HfOracle(NeoxPath);
        HfOracle.AssertSameIds(EdgeCases, ours.EncodeWithoutSpecialTokens, hf.Encode, ours);
    }

    // What the emails lack: decomposed accents (NFC), letters and digits outside the BMP, added tokens inside words,
    // every Unicode space, contractions in odd cases, whitespace runs at the ends.
    static readonly string[] EdgeCases =
    [
        "",
        " ",
        "   ",
        "\n\n\n",
        "  leading and trailing  ",
        "Cafe\u0301 re\u0301sume\u0301 \u1E9B\u0323 Å",
        "𝐀𝐁𝐂 𝟙𝟚𝟛 mathematical 𝒜lphabet and 😀🎉👍🏽 emoji",
        "the assistant said RWKV<|endoftext|>assistants<|im_start|>user<|im_end|>",
        "I'M HERE, it'S 'tis they'RE we've I'll she'd ''' 's 'x",
        "no\u00A0break\u2003em\u3000ideographic\u0085nel\u2028line\u2029para\u200Bzwsp\u001Cfs",
        "tabs\t\tand \t mixed \r\n\r\n  \n endings",
        "日本語のテキスト、中文文本。 한국어 텍스트 العربية עברית हिन्दी ไทย",
        "a" + new string(' ', 50) + "b" + new string(' ', 25) + "\n" + new string(' ', 2),
        "numbers 1234567890 ١٢٣ ½ ⅷ 3.14159e-10 $1,000,000.00!!!",
        "<html><body bgcolor=\"#FFFFFF\"><a href=\"http://x.example/?q=1&amp;r=2\">CLICK&nbsp;HERE</a></body></html>",
    ];

    [TestMethod]
    public void ModernBertStyleFile_GivesHuggingFaceIds_WithTemplateAndMask()
    {
        string path = WriteModernBertStyleFile();
        try
        {
            var ours = ModernBertTokenizer.Load(path);
            Assert.AreEqual((50281, 50282, 50283, 50284), (ours.ClsId, ours.SepId, ours.PadId, ours.MaskId));
            using var hf = new HfOracle(path);
            // Masks with no, one and several spaces before them, at fixed places in real emails.
            var texts = SpamSample.Texts.Take(600).Select((t, i) =>
            {
                int at = t.Length == 0 ? 0 : (i * 7919) % t.Length;
                return t[..at] + (i % 3 == 0 ? "[MASK]" : i % 3 == 1 ? " [MASK]" : "   [MASK] ") + t[at..];
            }).ToList();
            HfOracle.AssertSameIds(texts, t => ours.Encode(t).Ids, hf.Encode, ours);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void Decode_GivesHuggingFaceText_OnSpamSample()
    {
        var ours = ModernBertTokenizer.Load(NeoxPath, ModernBertWithoutUnk);
        using var hf = new HfOracle(NeoxPath);
        foreach (string text in SpamSample.Texts.Take(300))
        {
            int[] ids = hf.Encode(text);
            Assert.AreEqual(hf.Decode(ids), ours.Decode(ids));
        }
    }

    [TestMethod]
    public void SavedWithAddedModernBertTokens_GivesSameIdsHereAndInHuggingFace()
    {
        var original = ModernBertTokenizer.Load(NeoxPath, ModernBertWithoutUnk);
        string dir = Directory.CreateTempSubdirectory("tokenizer-neox-save-").FullName;
        try
        {
            string path = Path.Combine(dir, "tokenizer.json");
            original.Save(path);
            var reloaded = ModernBertTokenizer.Load(path);
            using var hf = new HfOracle(path);
            var texts = SpamSample.Texts.Take(200).Select((t, i) => i % 2 == 0 ? "  [MASK]" + t : t).ToList();
            HfOracle.AssertSameIds(texts, t => original.Encode(t).Ids, t => reloaded.Encode(t).Ids, original);
            HfOracle.AssertSameIds(texts, t => original.Encode(t).Ids, hf.Encode, original);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    public void FileWithoutTemplate_IsWrappedWithConfigClsSep()
    {
        var tokenizer = ModernBertTokenizer.Load(NeoxPath, ModernBertWithoutUnk);
        int[] content = tokenizer.EncodeWithoutSpecialTokens("Hello world");
        CollectionAssert.AreEqual(new[] { 50281 }.Concat(content).Append(50282).ToArray(), tokenizer.Encode("Hello world").Ids);
        Assert.AreEqual((50281, 50282, 50283, 50284, 50285), (tokenizer.ClsId, tokenizer.SepId, tokenizer.PadId, tokenizer.MaskId, tokenizer.VocabSize));
        Assert.IsNull(tokenizer.UnkId);
        Assert.IsTrue(tokenizer.IsSpecial(50284) && tokenizer.IsSpecial(50281) && tokenizer.IsSpecial(0));
        Assert.IsFalse(tokenizer.IsSpecial(content[0]) || tokenizer.IsSpecial(50254), "ordinary tokens and GPT-NeoX's space runs are not special");
    }

    [TestMethod]
    public void FallbackIdTakenByAnotherToken_ThrowsNamingBoth()
    {
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ModernBertTokenizer.Load(NeoxPath, SpecialTokenIds.ModernBert));
        StringAssert.Contains(e.Message, "50280");
        StringAssert.Contains(e.Message, "RWKV");
        StringAssert.Contains(e.Message, NeoxPath);
    }

    [TestMethod]
    public void Mask_SwallowsTheWhitespaceBeforeIt()
    {
        var tokenizer = ModernBertTokenizer.Load(NeoxPath, ModernBertWithoutUnk);
        int[] paris = tokenizer.EncodeWithoutSpecialTokens("Paris is the");
        int[] ofFrance = tokenizer.EncodeWithoutSpecialTokens(" of France.");
        int[] expected = [.. paris, tokenizer.MaskId, .. ofFrance];
        CollectionAssert.AreEqual(expected, tokenizer.EncodeWithoutSpecialTokens("Paris is the [MASK] of France."));
        CollectionAssert.AreEqual(expected, tokenizer.EncodeWithoutSpecialTokens("Paris is the \t  [MASK] of France."));
        CollectionAssert.AreEqual(expected, tokenizer.EncodeWithoutSpecialTokens("Paris is the[MASK] of France."));
    }

    [TestMethod]
    public void RunsOfSpaces_BecomeGptNeoxSpaceTokens()
    {
        var tokenizer = ModernBertTokenizer.Load(NeoxPath, ModernBertWithoutUnk);
        int[] ids = tokenizer.EncodeWithoutSpecialTokens("a" + new string(' ', 30) + "b");
        // Longest match first: 24 spaces (50254), then 6 (50272); "b" loses its leading-space form.
        CollectionAssert.AreEqual(new[] { tokenizer.EncodeWithoutSpecialTokens("a")[0], 50254, 50272, tokenizer.EncodeWithoutSpecialTokens("b")[0] }, ids);
    }

    /// <summary>The shared GPT-NeoX file plus ModernBERT's [CLS]/[SEP]/[PAD]/[MASK] and template, as ModernBERT ships.</summary>
    static string WriteModernBertStyleFile()
    {
        var root = JsonNode.Parse(File.ReadAllText(NeoxPath))!.AsObject();
        var added = root["added_tokens"]!.AsArray();
        foreach (var (id, content) in new[] { (50281, "[CLS]"), (50282, "[SEP]"), (50283, "[PAD]"), (50284, "[MASK]") })
        {
            added.Add(new JsonObject
            {
                ["id"] = id, ["content"] = content, ["single_word"] = false, ["lstrip"] = content == "[MASK]",
                ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
            });
        }
        root["post_processor"] = JsonNode.Parse("""
            {"type": "TemplateProcessing",
             "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
             "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
                      {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
             "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [50281], "tokens": ["[CLS]"]}, "[SEP]": {"id": "[SEP]", "ids": [50282], "tokens": ["[SEP]"]}}}
            """);
        string path = Path.Combine(Path.GetTempPath(), $"modernbert-style-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, root.ToJsonString());
        return path;
    }
}
