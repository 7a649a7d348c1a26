using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.ModernBert;
using MLNetExt.ModernBert.MLNet;
using MLNetExt.ModernBert.Tokenization;
using MLNetExt.Training.Data;
using static TorchSharp.torch;

namespace MLNetExt.Bench;

/// <summary>
/// TOKLONG: scoring one huge row must cost about what any row of that size costs, whatever its shape. Each row goes
/// through <c>ModernBertEmbeddings</c> (a random Tiny encoder, default MaxLength) in an ML.NET pipeline, Transform
/// plus reading Features, in rounds over all rows; ratio = slowest space-free row (one letter repeated, random letters,
/// CJK, base64) / ordinary email text of the same length, each row's fastest round. Then the tokenizer alone on the inputs of the user report, as the transformer calls it.
/// Options: --chars (row length, 1,000,000), --runs (rounds, 15), --cases 0 (skip the tokenizer cases).
/// </summary>
public sealed class TokenizerLongInputBenchmark : IBenchmark
{
    public string Id => "TOKLONG";
    public string Description => "scoring a 1 MB space-free row / a 1 MB ordinary row (ModernBertEmbeddings, Tiny, MaxLength 512); goal <= 2";

    public sealed class Row
    {
        public string Text { get; set; } = "";
    }

    public void Run(string[] args)
    {
        int chars = BenchUtil.Option(args, "chars", 1_000_000), runs = BenchUtil.Option(args, "runs", 15);
        bool cases = BenchUtil.Option(args, "cases", 1) != 0;
        string folder = Directory.CreateTempSubdirectory("toklong-").FullName;
        try
        {
            SaveTinyEncoder(folder);
            var ml = new MLContext(seed: 1);
            var options = new ModernBertEmbeddingsOptions { ModelPath = folder };
            var pipeline = ml.Transforms.Text.ModernBertEmbeddings(options).Fit(ml.Data.LoadFromEnumerable([new Row { Text = "warm up" }]));
            var rows = new List<(string Name, string Text)> { ("a short email (reference)", Ordinary(2000)), ("ordinary email text", Ordinary(chars)) };
            rows.AddRange(SpaceFree(chars));
            var data = rows.Select(r => ml.Data.LoadFromEnumerable([new Row { Text = r.Text }])).ToList();
            // Rounds over all rows, the first untimed (JIT, caches), so load swings hit every row alike.
            var seconds = rows.Select(_ => new List<double>()).ToList();
            for (int round = 0; round <= runs; round++)
                for (int r = 0; r < rows.Count; r++)
                {
                    double t = BenchUtil.Time(() => ReadFeatures(pipeline.Transform(data[r])), 1, warmUp: false);
                    if (round > 0) seconds[r].Add(t);
                }
            // The fastest round is the row's own cost: on a shared machine other jobs only ever add time.
            var fastest = seconds.Select(s => s.Min()).ToList();
            var median = seconds.Select(s => s.Order().ElementAt(s.Count / 2)).ToList();
            Console.WriteLine($"{chars:N0} chars, MaxLength {options.MaxLength}, Tiny encoder, {runs} rounds");
            var tokenizer = ModernBertTokenizer.CreateDefault();
            Console.WriteLine($"  {"row",-28} {"scoring: fastest",16} {"median",9}  {"tokenizer alone",15}");
            for (int r = 0; r < rows.Count; r++)
            {
                double tokenize = BenchUtil.Time(() => tokenizer.Encode(rows[r].Text, options.MaxLength), 5);
                Console.WriteLine($"  {rows[r].Name,-28} {fastest[r] * 1e3,13:F1} ms {median[r] * 1e3,6:F1} ms {tokenize * 1e3,12:F2} ms" +
                    (r > 1 ? $"  ({fastest[r] / fastest[1]:F2}x)" : ""));
            }
            double worst = fastest.Skip(2).Max(), ordinary = fastest[1];
            if (cases) TokenizerCases(options.MaxLength);
            Console.WriteLine($"TOKLONG: {worst / ordinary:F2}");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The inputs of the user report, through <c>Encode(text, MaxLength)</c> as the transformer calls it.</summary>
    static void TokenizerCases(int maxLength)
    {
        var tokenizer = ModernBertTokenizer.CreateDefault();
        var inputs = new (string, string)[]
        {
            ("1 MB of 'a'", new string('a', 1_000_000)),
            ("64k-char word", Letters(65_536)),
            ("128k-char word", Letters(131_072)),
            ("256k-char word", Letters(262_144)),
            ("64k CJK chars", Cjk(65_536)),
            ("1M chars of base64", Base64(1_000_000)),
            ("1M out-of-order marks", "a" + string.Concat(Enumerable.Repeat("\u0301\u0316", 500_000))),
        };
        Console.WriteLine($"tokenizer alone, Encode(text, {maxLength}); first call (the first one also builds the token trie), then median of 3:");
        foreach (var (name, text) in inputs)
        {
            var clock = Stopwatch.StartNew();
            int ids = tokenizer.Encode(text, maxLength).Ids.Length;
            double first = clock.Elapsed.TotalMilliseconds;
            double warm = BenchUtil.Time(() => tokenizer.Encode(text, maxLength), 3, warmUp: false);
            Console.WriteLine($"  {name,-28} {first,9:F1} ms {warm * 1e3,9:F1} ms  ({ids} ids)");
        }
    }

    static IEnumerable<(string, string)> SpaceFree(int chars) =>
    [
        ("one letter repeated", new string('a', chars)),
        ("one random-letter word", Letters(chars)),
        ("CJK, no spaces", Cjk(chars)),
        ("base64", Base64(chars)),
    ];

    static string Ordinary(int chars)
    {
        var text = new System.Text.StringBuilder(chars);
        foreach (var email in SpamAssassin.Load())
        {
            if (text.Length >= chars) break;
            text.Append(email.Text).Append("\n\n");
        }
        return text.ToString(0, Math.Min(chars, text.Length));
    }

    static string Letters(int chars)
    {
        var random = new Random(1);
        return string.Create(chars, random, (span, r) => { for (int i = 0; i < span.Length; i++) span[i] = (char)('a' + r.Next(26)); });
    }

    static string Cjk(int chars)
    {
        var random = new Random(2);
        return string.Create(chars, random, (span, r) => { for (int i = 0; i < span.Length; i++) span[i] = (char)r.Next(0x4E00, 0x9FA6); });
    }

    static string Base64(int chars)
    {
        var bytes = new byte[chars * 3 / 4 + 3];
        new Random(3).NextBytes(bytes);
        return Convert.ToBase64String(bytes)[..chars];
    }

    static void ReadFeatures(IDataView scored)
    {
        var features = scored.Schema["Features"];
        using var cursor = scored.GetRowCursor([features]);
        var get = cursor.GetGetter<VBuffer<float>>(features);
        VBuffer<float> value = default;
        while (cursor.MoveNext()) get(ref value);
    }

    static void SaveTinyEncoder(string folder)
    {
        var tokenizer = ModernBertTokenizer.CreateDefault();
        var config = ModernBertSource.Preset(ModernBertSize.Tiny) with
        {
            VocabSize = tokenizer.VocabSize, ClsTokenId = tokenizer.ClsId, BosTokenId = tokenizer.ClsId,
            SepTokenId = tokenizer.SepId, EosTokenId = tokenizer.SepId, PadTokenId = tokenizer.PadId,
        };
        manual_seed(0);
        using var model = new ModernBertModel(config);
        ModernBertCheckpoint.Save(model, folder);
        tokenizer.Save(Path.Combine(folder, "tokenizer.json"));
    }
}
