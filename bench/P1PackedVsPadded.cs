using Microsoft.ML.Tokenizers;
using MLNetExt.ModernBert;
using MLNetExt.Training.Data;
using MLNetExt.Training.Packing;
using static TorchSharp.torch;

namespace MLNetExt.Bench;

/// <summary>
/// P1: encoder tokens/s, packed (best-fit batches of at most 8,192 tokens, no padding) vs padded (batches of
/// 8 emails in sampled order, HF Trainer's default batch size, padded to the longest, dense masked SDPA), over
/// SpamAssassin emails tokenized with GPT-2's BPE and cut at 8,192 tokens. Small config: H 256, 4 heads,
/// 4 layers (global, local, local, global). Per-email outputs of both ways are compared before timing.
/// </summary>
public sealed class P1PackedVsPadded : IBenchmark
{
    public string Id => "P1";
    public string Description => "packed vs padded encoder tokens/s on SpamAssassin's token lengths (max 8192, small config)";

    public void Run(string[] args)
    {
        int emails = BenchUtil.Option(args, "emails", 48), padBatch = BenchUtil.Option(args, "batch", 8), budget = BenchUtil.Option(args, "budget", 8192);
        set_num_threads(Environment.ProcessorCount);
        var config = ModernBertConfig.Base with { HiddenSize = 256, IntermediateSize = 384, NumAttentionHeads = 4, NumHiddenLayers = 4 };
        var tokenizer = TiktokenTokenizer.CreateForModel("gpt2");
        var corpus = SpamAssassin.Load();
        var all = corpus.Select(e => tokenizer.EncodeToIds(e.Text).Select(t => (long)t).Take(config.MaxPositionEmbeddings).ToArray()).ToList();
        var sorted = all.Select(s => s.Length).Order().ToArray();
        Console.WriteLine($"corpus: {all.Count} emails, tokens median {sorted[sorted.Length / 2]}, p90 {sorted[sorted.Length * 9 / 10]}, max {sorted[^1]}, mean {sorted.Average():F0}");
        // A random sample keeps the corpus's length distribution at a size two CPU cores finish in minutes.
        var rng = new Random(0);
        var sample = all.OrderBy(_ => rng.Next()).Take(emails).ToList();
        long realTokens = sample.Sum(s => (long)s.Length);
        Console.WriteLine($"sample: {sample.Count} emails, {realTokens} tokens, mean {realTokens / (double)sample.Count:F0}");

        manual_seed(0);
        using var model = new ModernBertModel(config);
        model.eval();
        var padded = new PaddedReference(model);
        using var _ = no_grad();

        var packedBatches = Packer.BestFit(sample.Select(s => s.Length).ToList(), budget)
            .Select(rows => PackedBatch.FromSequences(rows.Select(r => sample[r]).ToList(), rows)).ToList();
        var paddedBatches = sample.Chunk(padBatch).Select(Pad).ToList();
        long paddedTokens = paddedBatches.Sum(p => p.Ids.numel());
        Console.WriteLine($"packed: {packedBatches.Count} batches; padded: {paddedBatches.Count} batches of {padBatch}, {paddedTokens} token slots ({paddedTokens / (double)realTokens:F2}x real)");

        // Also the warm-up of both paths: the whole sample is then timed once each.
        CheckSameOutputs(model, padded, sample.Take(padBatch).ToArray());

        double packedSeconds = BenchUtil.Time(() =>
        {
            foreach (var batch in packedBatches)
            {
                using var scope = NewDisposeScope();
                model.call(PackedInput.Create(batch, config));
            }
        }, 1, warmUp: false);
        double paddedSeconds = BenchUtil.Time(() =>
        {
            foreach (var (ids, mask) in paddedBatches)
            {
                using var scope = NewDisposeScope();
                padded.Forward(ids, mask);
            }
        }, 1, warmUp: false);
        double packedRate = realTokens / packedSeconds, paddedRate = realTokens / paddedSeconds;
        Console.WriteLine($"threads {get_num_threads()}: packed {packedSeconds:F1} s = {packedRate:F0} tokens/s; padded {paddedSeconds:F1} s = {paddedRate:F0} tokens/s");
        Console.WriteLine($"P1: {packedRate / paddedRate:F2}");
    }

    static (Tensor Ids, Tensor Mask) Pad(long[][] rows)
    {
        int l = rows.Max(r => r.Length);
        var ids = zeros(rows.Length, l, int64);
        var mask = zeros(rows.Length, l, int64);
        for (int i = 0; i < rows.Length; i++)
        {
            ids[i].narrow(0, 0, rows[i].Length).copy_(tensor(rows[i]));
            mask[i].narrow(0, 0, rows[i].Length).fill_(1);
        }
        return (ids, mask);
    }

    static void CheckSameOutputs(ModernBertModel model, PaddedReference padded, long[][] rows)
    {
        using var scope = NewDisposeScope();
        var (ids, mask) = Pad(rows);
        var reference = padded.Forward(ids, mask);
        using var input = PackedInput.Create(PackedBatch.FromSequences(rows), model.Config);
        var packed = model.call(input);
        float worst = 0;
        for (int i = 0; i < rows.Length; i++)
            worst = Math.Max(worst, (packed.narrow(0, input.Offsets[i], rows[i].Length) - reference[i].narrow(0, 0, rows[i].Length)).abs().max().item<float>());
        Console.WriteLine($"max |packed - padded| over {rows.Length} emails' real tokens = {worst:E2}");
        if (worst > 1e-4) throw new InvalidOperationException($"packed and padded outputs differ by {worst}");
    }
}
