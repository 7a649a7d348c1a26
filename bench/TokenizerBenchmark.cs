using System.Diagnostics;
using System.Text;
using Microsoft.ML.Tokenizers;
using MLNetExt.ModernBert.Tokenization;
using MLNetExt.Training.Data;

namespace MLNetExt.Bench;

/// <summary>
/// Encode speed on the 6,046 SpamAssassin emails: our ModernBERT tokenizer (default GPT-2 vocabulary, full HF
/// pipeline) against ML.NET's GPT-2 tiktoken tokenizer on the same texts, one thread each, second pass (warm caches).
/// Optional argument: a tokenizer.json path to time as well (e.g. ../shared/tokenizers/gpt-neox-20b/tokenizer.json).
/// </summary>
public sealed class TokenizerBenchmark : IBenchmark
{
    public string Id => "TOK";
    public string Description => "tokenizer encode speed on SpamAssassin: ModernBertTokenizer vs ML.NET tiktoken GPT-2 (ratio = ours/theirs texts/s)";

    public void Run(string[] args)
    {
        var texts = SpamAssassin.Load().Select(e => e.Text).ToList();
        long chars = texts.Sum(t => (long)t.Length);
        Console.WriteLine($"{texts.Count} emails, {chars / 1e6:F1} M chars");

        var ours = ModernBertTokenizer.CreateDefault();
        var tiktoken = TiktokenTokenizer.CreateForModel("gpt2");
        double oursRate = TextsPerSecond("ModernBertTokenizer (default GPT-2)", texts, t => ours.Encode(t).Ids.Length);
        // tiktoken gets NFC text already, as our pipeline produces it, so both do the same work.
        var nfc = texts.Select(t => t.Normalize(NormalizationForm.FormC)).ToList();
        double theirs = TextsPerSecond("ML.NET TiktokenTokenizer gpt2", nfc, t => tiktoken.EncodeToIds(t).Count);
        if (args.Length > 0)
        {
            var file = ModernBertTokenizer.Load(args[0], SpecialTokenIds.ModernBert with { Unk = null });
            TextsPerSecond($"ModernBertTokenizer ({args[0]})", texts, t => file.Encode(t).Ids.Length);
        }
        Console.WriteLine($"TOK: {oursRate / theirs:F2}");
    }

    static double TextsPerSecond(string name, IReadOnlyList<string> texts, Func<string, int> encode)
    {
        long tokens = 0;
        foreach (string t in texts) tokens += encode(t); // warm-up pass fills the word caches
        var watch = Stopwatch.StartNew();
        tokens = 0;
        foreach (string t in texts) tokens += encode(t);
        watch.Stop();
        double rate = texts.Count / watch.Elapsed.TotalSeconds;
        Console.WriteLine($"{name,-60} {rate,9:F0} texts/s  {tokens / watch.Elapsed.TotalSeconds / 1e6,6:F2} M tokens/s  ({tokens:N0} tokens)");
        return rate;
    }
}
