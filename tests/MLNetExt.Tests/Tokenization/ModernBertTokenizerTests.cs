using System.Text;
using Microsoft.ML.Tokenizers;
using MLNetExt.ModernBert.Tokenization;

namespace MLNetExt.Tests.Tokenization;

/// <summary>The file-free default tokenizer (GPT-2 BPE + ModernBERT's special tokens), templates, truncation, saving, file errors.</summary>
[TestClass]
public sealed class ModernBertTokenizerTests
{
    static readonly ModernBertTokenizer Default = ModernBertTokenizer.CreateDefault();

    [TestMethod]
    public void Default_PutsSpecialTokensAfterGpt2Vocabulary()
    {
        Assert.AreEqual((50257, 50258, 50259, 50260, 50261, 50262), (Default.UnkId, Default.ClsId, Default.SepId, Default.PadId, Default.MaskId, Default.VocabSize));
        Assert.IsTrue(Enumerable.Range(50256, 6).All(Default.IsSpecial));
        Assert.IsFalse(Default.IsSpecial(0) || Default.IsSpecial(50255) || Default.IsSpecial(-1) || Default.IsSpecial(50262));
    }

    [TestMethod]
    public void Default_GivesGpt2Ids_OnSpamSample()
    {
        // ML.NET's own GPT-2 (tiktoken) on NFC text: checks the merges recovered from GPT-2's ranks.
        var gpt2 = TiktokenTokenizer.CreateForModel("gpt2");
        var texts = SpamSample.Texts.Take(500).Select(t => t.Normalize(NormalizationForm.FormC)).ToList();
        HfOracle.AssertSameIds(texts, Default.EncodeWithoutSpecialTokens, t => gpt2.EncodeToIds(t).ToArray(), Default);
    }

    [TestMethod]
    public void Encode_FromManyThreads_MatchesOneThread()
    {
        var tokenizer = ModernBertTokenizer.CreateDefault(); // a fresh word cache, filled concurrently
        var texts = SpamSample.Texts.Take(200).ToList();
        var parallel = new int[texts.Count][];
        Parallel.For(0, texts.Count, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => parallel[i] = tokenizer.Encode(texts[i]).Ids);
        for (int i = 0; i < texts.Count; i++) CollectionAssert.AreEqual(Default.Encode(texts[i]).Ids, parallel[i], $"text #{i}");
    }

    [TestMethod]
    public void NullOrEmptyText_GivesClsSep()
    {
        int[] expected = [Default.ClsId, Default.SepId];
        CollectionAssert.AreEqual(expected, Default.Encode(null).Ids);
        CollectionAssert.AreEqual(expected, Default.Encode("").Ids);
        CollectionAssert.AreEqual(new[] { Default.ClsId, Default.SepId, Default.SepId }, Default.EncodePair(null, "").Ids);
    }

    [TestMethod]
    public void Encode_TruncatesTheTailAndSaysSo()
    {
        string text = "The quick brown fox jumps over the lazy dog near the river bank today.";
        int[] content = Default.EncodeWithoutSpecialTokens(text);
        var full = Default.Encode(text);
        Assert.IsFalse(full.Truncated);
        CollectionAssert.AreEqual(new[] { Default.ClsId }.Concat(content).Append(Default.SepId).ToArray(), full.Ids);

        var cut = Default.Encode(text, maxLength: 6);
        CollectionAssert.AreEqual(new[] { Default.ClsId }.Concat(content.Take(4)).Append(Default.SepId).ToArray(), cut.Ids);
        Assert.IsTrue(cut.Truncated);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Default.Encode(text, maxLength: 1));
    }

    [TestMethod]
    public void EncodePair_UsesPairTemplateAndTruncatesLongestFirst()
    {
        int[] a = Default.EncodeWithoutSpecialTokens("one two three four five six seven eight nine ten");
        int[] b = Default.EncodeWithoutSpecialTokens("alpha beta gamma");
        Assert.AreEqual((10, 3), (a.Length, b.Length));
        int cls = Default.ClsId, sep = Default.SepId;

        var whole = Default.EncodePair("one two three four five six seven eight nine ten", "alpha beta gamma");
        CollectionAssert.AreEqual(new[] { cls }.Concat(a).Append(sep).Concat(b).Append(sep).ToArray(), whole.Ids);

        // Budget 8 after 3 specials: only the longer text is cut (to 5).
        var longer = Default.EncodePair("one two three four five six seven eight nine ten", "alpha beta gamma", maxLength: 11);
        CollectionAssert.AreEqual(new[] { cls }.Concat(a.Take(5)).Append(sep).Concat(b).Append(sep).ToArray(), longer.Ids);
        Assert.IsTrue(longer.Truncated);

        // Budget 3: both are cut; the odd token goes to the longer one (2 + 1).
        var both = Default.EncodePair("one two three four five six seven eight nine ten", "alpha beta gamma", maxLength: 6);
        CollectionAssert.AreEqual(new[] { cls }.Concat(a.Take(2)).Append(sep).Concat(b.Take(1)).Append(sep).ToArray(), both.Ids);
        Assert.IsTrue(both.Truncated);
    }

    [TestMethod]
    public void Decode_RestoresTextAndSkipsSpecialTokensByDefault()
    {
        string text = "Héllo   wörld!\n\tÜnïcödé 😀 and [MASK] tokens";
        int[] ids = Default.Encode(text).Ids;
        Assert.AreEqual("Héllo   wörld!\n\tÜnïcödé 😀 and tokens", Default.Decode(ids));
        Assert.AreEqual("[CLS]Héllo   wörld!\n\tÜnïcödé 😀 and[MASK] tokens[SEP]", Default.Decode(ids, skipSpecialTokens: false));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Default.Decode([Default.VocabSize]));
    }

    [TestMethod]
    public void SavedDefault_LoadsBackAndInHuggingFace_WithSameIds()
    {
        string dir = Directory.CreateTempSubdirectory("tokenizer-save-").FullName;
        try
        {
            string path = Path.Combine(dir, "tokenizer.json");
            Default.Save(path);
            var reloaded = ModernBertTokenizer.Load(path);
            Assert.AreEqual((Default.VocabSize, Default.ClsId, Default.SepId, Default.PadId, Default.MaskId, Default.UnkId),
                (reloaded.VocabSize, reloaded.ClsId, reloaded.SepId, reloaded.PadId, reloaded.MaskId, reloaded.UnkId));

            using var hf = new HfOracle(path);
            var texts = SpamSample.Texts.Take(200).Select((t, i) => i % 4 == 0 ? t + " [MASK] " : t).ToList();
            HfOracle.AssertSameIds(texts, t => reloaded.Encode(t).Ids, hf.Encode, reloaded);
            HfOracle.AssertSameIds(texts, t => Default.Encode(t).Ids, hf.Encode, Default);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    public void MalformedFiles_ThrowNamingTheFileAndField()
    {
        string dir = Directory.CreateTempSubdirectory("tokenizer-bad-").FullName;
        try
        {
            string good = Path.Combine(dir, "good.json");
            Default.Save(good);
            string json = File.ReadAllText(good);
            Exception Load(string name, string content)
            {
                string path = Path.Combine(dir, name);
                File.WriteAllText(path, content);
                var e = Assert.Throws<Exception>(() => ModernBertTokenizer.Load(path));
                StringAssert.Contains(e.Message, path);
                return e;
            }

            Assert.IsInstanceOfType<InvalidDataException>(Load("truncated.json", json[..1000]));
            StringAssert.Contains(Load("no-model.json", "{\"added_tokens\": []}").Message, "'model'");
            var wordPiece = Load("wordpiece.json", json.Replace("\"type\": \"BPE\"", "\"type\": \"WordPiece\""));
            Assert.IsInstanceOfType<NotSupportedException>(wordPiece);
            StringAssert.Contains(wordPiece.Message, "model.type");
            StringAssert.Contains(Load("metaspace.json", json.Replace("\"pre_tokenizer\": {\n    \"type\": \"ByteLevel\"", "\"pre_tokenizer\": {\n    \"type\": \"Metaspace\"")).Message, "pre_tokenizer.type");
            StringAssert.Contains(Load("nfkc.json", json.Replace("\"type\": \"NFC\"", "\"type\": \"NFKC\"")).Message, "normalizer.type");
            StringAssert.Contains(Load("bad-id.json", json.Replace("\"id\": 50261,", "\"id\": 50300,")).Message, "[MASK]");
            StringAssert.Contains(Load("bad-merge.json", json.Replace("\"merges\": [\n      [\n        \"Ġ\",\n        \"t\"", "\"merges\": [\n      [\n        \"Ġ\",\n        \"nope\"")).Message, "model.merges[0]");
            Assert.IsInstanceOfType<FileNotFoundException>(Assert.Throws<Exception>(() => ModernBertTokenizer.Load(Path.Combine(dir, "missing.json"))));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    public void FileWithoutTemplateOrFallback_Throws()
    {
        string dir = Directory.CreateTempSubdirectory("tokenizer-notemplate-").FullName;
        try
        {
            string path = Path.Combine(dir, "tokenizer.json");
            Default.Save(path);
            string json = File.ReadAllText(path);
            int start = json.IndexOf("\"post_processor\"", StringComparison.Ordinal), end = json.IndexOf("\"decoder\"", StringComparison.Ordinal);
            File.WriteAllText(path, json[..start] + "\"post_processor\": null,\n  " + json[end..]);
            var e = Assert.ThrowsExactly<InvalidDataException>(() => ModernBertTokenizer.Load(path));
            StringAssert.Contains(e.Message, "SpecialTokenIds");
            var withIds = ModernBertTokenizer.Load(path, new SpecialTokenIds(Cls: 50258, Sep: 50259, Pad: 50260, Mask: 50261, Unk: 50257));
            CollectionAssert.AreEqual(Default.Encode("hello there").Ids, withIds.Encode("hello there").Ids);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
