using MLNetExt.ModernBert.Tokenization;

namespace MLNetExt.Tests.Tokenization;

/// <summary>Hugging Face's own Rust tokenizers (Tokenizers.DotNet) as the reference our ids must equal.</summary>
internal sealed class HfOracle : IDisposable
{
    readonly Tokenizers.DotNet.Tokenizer _hf;

    public HfOracle(string tokenizerJsonPath) => _hf = new Tokenizers.DotNet.Tokenizer(vocabPath: tokenizerJsonPath);

    /// <summary>Ids with the file's post-processor applied (Hugging Face's add_special_tokens = true).</summary>
    public int[] Encode(string text) => _hf.Encode(text).Select(id => checked((int)id)).ToArray();

    /// <summary>Text with special tokens skipped.</summary>
    public string Decode(int[] ids) => _hf.Decode(ids.Select(id => (uint)id).ToArray());

    public void Dispose() => _hf.Dispose();

    /// <summary>Asserts identical ids on every text; the message shows the first difference in context.</summary>
    public static void AssertSameIds(IReadOnlyList<string> texts, Func<string, int[]> ours, Func<string, int[]> expected, ModernBertTokenizer decoder)
    {
        int mismatches = 0;
        string? first = null;
        for (int i = 0; i < texts.Count; i++)
        {
            int[] a = ours(texts[i]), b = expected(texts[i]);
            if (a.AsSpan().SequenceEqual(b)) continue;
            mismatches++;
            first ??= Describe(i, a, b, decoder);
        }
        Assert.AreEqual(0, mismatches, $"{mismatches} of {texts.Count} texts tokenize differently from the reference; first: {first}");
    }

    static string Describe(int index, int[] ours, int[] hf, ModernBertTokenizer decoder)
    {
        int at = 0;
        while (at < ours.Length && at < hf.Length && ours[at] == hf[at]) at++;
        string Window(int[] ids) => string.Join(" ", ids.Skip(Math.Max(0, at - 3)).Take(8)
            .Select(id => $"{id}:'{decoder.Decode([id], skipSpecialTokens: false).Replace("\n", "\\n")}'"));
        return $"text #{index}, token {at} (lengths {ours.Length} vs {hf.Length}): ours [{Window(ours)}] vs reference [{Window(hf)}]";
    }
}
