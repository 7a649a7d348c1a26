using MLNetExt.ModernBert;
using MLNetExt.Training.Packing;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.Bench;

/// <summary>
/// P3: packed encoder forward FLOP/s divided by plain torch matmul FLOP/s, same dtype and threads, same run.
/// Model FLOPs = 2 · N_non-embedding · tokens + 4 · H · (query-key pairs actually in attention: len² for global
/// layers, the |i-j| &lt;= 64 band for local ones). Reported for float32 and bfloat16; the last line is bf16's ratio.
/// </summary>
public sealed class P3EncoderEfficiency : IBenchmark
{
    public string Id => "P3";
    public string Description => "encoder forward FLOP/s / torch matmul FLOP/s (ModernBERT-base width, 6 layers, 4 x 1024 tokens; fp32 and bf16)";

    public void Run(string[] args)
    {
        int layers = BenchUtil.Option(args, "layers", 6), seqs = BenchUtil.Option(args, "seqs", 4), len = BenchUtil.Option(args, "len", 1024);
        int runs = BenchUtil.Option(args, "runs", 3);
        set_num_threads(Environment.ProcessorCount);
        var config = ModernBertConfig.Base with { NumHiddenLayers = layers };
        manual_seed(0);
        var rng = new Random(0);
        var batch = PackedBatch.FromSequences(Enumerable.Range(0, seqs).Select(_ => Enumerable.Range(0, len).Select(_ => (long)rng.Next(config.VocabSize)).ToArray()).ToList());
        double flops = ModelFlops(config, batch);
        using var model = new ModernBertModel(config);
        model.eval();
        double lastRatio = 0;
        foreach (var dtype in new[] { float32, bfloat16 })
        {
            model.to(dtype);
            using var _ = no_grad();
            using var input = PackedInput.Create(batch, config);
            double forward = BenchUtil.Time(() => { using var s = NewDisposeScope(); model.call(input); }, runs);
            // Reference GEMM: the encoder's largest shape, [T, H] x [H, 2I].
            var x = randn(batch.TokenCount, config.HiddenSize).to(dtype);
            var w = randn(config.HiddenSize, 2 * config.IntermediateSize).to(dtype);
            double mm = BenchUtil.Time(() => { using var s = NewDisposeScope(); x.matmul(w); }, runs * 3);
            double mmFlops = 2.0 * batch.TokenCount * config.HiddenSize * 2 * config.IntermediateSize;
            double achieved = flops / forward, peak = mmFlops / mm;
            lastRatio = achieved / peak;
            Console.WriteLine($"{dtype}: forward {forward * 1e3:F0} ms = {achieved / 1e9:F1} GFLOP/s; matmul {peak / 1e9:F1} GFLOP/s; ratio {lastRatio:F3}");
        }
        Console.WriteLine($"threads {get_num_threads()}, tokens {batch.TokenCount}, model GFLOP per forward {flops / 1e9:F1}");
        Console.WriteLine($"P3: {lastRatio:F3}");
    }

    static double ModelFlops(ModernBertConfig c, PackedBatch batch)
    {
        double linear = 2.0 * c.NonEmbeddingParameterCount() * batch.TokenCount;
        double attention = 0;
        for (int layer = 0; layer < c.NumHiddenLayers; layer++)
            for (int s = 0; s < batch.Count; s++)
            {
                long n = batch.Length(s), pairs = 0;
                if (c.LayerType(layer) == AttentionKind.Global) pairs = n * n;
                else for (long p = 0; p < n; p++) pairs += Math.Min(n - 1, p + c.LocalHalfWindow) - Math.Max(0, p - c.LocalHalfWindow) + 1;
                attention += 4.0 * c.HiddenSize * pairs; // QK^T and PV, 2 FLOPs per multiply-add
            }
        return linear + attention;
    }
}
