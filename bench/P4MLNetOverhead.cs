using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.ModernBert;
using MLNetExt.ModernBert.MLNet;
using MLNetExt.ModernBert.Tokenization;
using MLNetExt.Training.Data;
using MLNetExt.Training.MLNet;
using MLNetExt.Training.Packing;
using static TorchSharp.torch;

namespace MLNetExt.Bench;

/// <summary>
/// P4: what ML.NET costs on top of the model. The same texts go (a) through <c>ModernBertEmbeddings</c> in an
/// ML.NET pipeline, Transform plus a full cursor pass over the Features column, and (b) straight through the
/// tokenizer and one packed encoder forward per batch, grouped by the same token budget and pooled alike. Both
/// include tokenization. Ratio = raw seconds / pipeline seconds (1 = no overhead), same run, medians of --runs.
/// </summary>
public sealed class P4MLNetOverhead : IBenchmark
{
    public string Id => "P4";
    public string Description => "raw packed forward time / ML.NET Transform + cursor time, same texts (SpamAssassin emails, 256 tokens, Small encoder)";

    public sealed class Row
    {
        public string Text { get; set; } = "";
    }

    public void Run(string[] args)
    {
        int count = BenchUtil.Option(args, "texts", 512), runs = BenchUtil.Option(args, "runs", 3), maxLength = BenchUtil.Option(args, "len", 256);
        var texts = SpamAssassin.Load().Take(count).Select(e => e.Text).ToArray();
        string folder = Directory.CreateTempSubdirectory("p4-").FullName;
        try
        {
            var (config, tokenizer) = SaveRandomEncoder(folder);
            var ml = new MLContext(seed: 1);
            var data = ml.Data.LoadFromEnumerable(texts.Select(t => new Row { Text = t }));
            var scoring = new ScoringOptions();
            var pipeline = ml.Transforms.Text.ModernBertEmbeddings(new ModernBertEmbeddingsOptions { ModelPath = folder, MaxLength = maxLength, Scoring = scoring }).Fit(data);

            using var model = new ModernBertModel(config);
            ModernBertCheckpoint.LoadWeights(model, Path.Combine(folder, ModernBertCheckpoint.WeightsFile));
            model.eval();

            double viaMLNet = BenchUtil.Time(() => CursorPass(pipeline.Transform(data)), runs);
            double raw = BenchUtil.Time(() => RawPass(model, config, tokenizer, texts, maxLength, scoring), runs);
            double ratio = raw / viaMLNet;
            Console.WriteLine($"{texts.Length} texts, max {maxLength} tokens, budget {scoring.TokenBudget}, threads {get_num_threads()}");
            Console.WriteLine($"ML.NET pipeline {viaMLNet:F3} s ({pipeline.ModelCalls / (runs + 1)} model calls per pass); raw packed forward {raw:F3} s");
            Console.WriteLine($"P4: {ratio:F3}");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    static (ModernBertConfig, ModernBertTokenizer) SaveRandomEncoder(string folder)
    {
        var tokenizer = ModernBertTokenizer.CreateDefault();
        var config = ModernBertSource.Preset(ModernBertSize.Small) with
        {
            VocabSize = tokenizer.VocabSize, ClsTokenId = tokenizer.ClsId, BosTokenId = tokenizer.ClsId,
            SepTokenId = tokenizer.SepId, EosTokenId = tokenizer.SepId, PadTokenId = tokenizer.PadId,
        };
        manual_seed(0);
        using var model = new ModernBertModel(config);
        ModernBertCheckpoint.Save(model, folder);
        tokenizer.Save(Path.Combine(folder, "tokenizer.json"));
        return (config, tokenizer);
    }

    static void CursorPass(IDataView scored)
    {
        var features = scored.Schema["Features"];
        using var cursor = scored.GetRowCursor(new[] { features });
        var get = cursor.GetGetter<VBuffer<float>>(features);
        VBuffer<float> value = default;
        while (cursor.MoveNext()) get(ref value);
    }

    /// <summary>Tokenize, group consecutive rows by the budget as the scoring cursor does, one forward per group, mean-pool and normalise.</summary>
    static void RawPass(ModernBertModel model, ModernBertConfig config, ModernBertTokenizer tokenizer, string[] texts, int maxLength, ScoringOptions scoring)
    {
        var batch = new List<long[]>();
        int tokens = 0;
        foreach (var text in texts)
        {
            var ids = Array.ConvertAll(tokenizer.Encode(text, maxLength).Ids, id => (long)id);
            if (batch.Count > 0 && (tokens + ids.Length > scoring.TokenBudget || batch.Count == scoring.MaxRows)) { Forward(batch); (batch, tokens) = ([], 0); }
            batch.Add(ids);
            tokens += ids.Length;
        }
        if (batch.Count > 0) Forward(batch);

        void Forward(List<long[]> sequences)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            using var input = PackedInput.Create(PackedBatch.FromSequences(sequences), config);
            var pooled = ModernBertForSequenceClassification.MeanPool(model.call(input), input);
            nn.functional.normalize(pooled, p: 2, dim: 1).data<float>().ToArray();
        }
    }
}
