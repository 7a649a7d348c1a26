using MLNetExt.ModernBert;
using static TorchSharp.torch;

namespace MLNetExt.Bench;

/// <summary>
/// P2: the attention of one local layer (ModernBERT-base heads: 12 x 64, window |i-j| &lt;= 64) over one
/// 8,192-token sequence: the blocked plan (64-query blocks over 192 keys) vs dense SDPA with a T x T band mask.
/// </summary>
public sealed class P2LocalAttention : IBenchmark
{
    public string Id => "P2";
    public string Description => "local attention at 8192 tokens: windowed blocks vs dense masked SDPA (ratio = dense time / windowed time)";

    public void Run(string[] args)
    {
        int tokens = BenchUtil.Option(args, "tokens", 8192), heads = 12, headDim = 64, half = 64;
        int runs = BenchUtil.Option(args, "runs", 3);
        set_num_threads(Environment.ProcessorCount);
        manual_seed(0);
        using var _ = no_grad();
        var q = randn(tokens, heads, headDim);
        var k = randn(tokens, heads, headDim);
        var v = randn(tokens, heads, headDim);
        using var plan = AttentionPlan.Local([0, tokens], half, CPU);
        var pos = arange(tokens);
        var band = (pos.unsqueeze(1) - pos.unsqueeze(0)).abs().le(half).view(1, 1, tokens, tokens); // [1, 1, T, T]
        Tensor Dense() => nn.functional.scaled_dot_product_attention(
            q.transpose(0, 1).unsqueeze(0), k.transpose(0, 1).unsqueeze(0), v.transpose(0, 1).unsqueeze(0), band).squeeze(0).transpose(0, 1);

        float diff = (plan.Attend(q, k, v, 0.0) - Dense()).abs().max().item<float>();
        Console.WriteLine($"max |windowed - dense| = {diff:E2}");
        if (diff > 1e-4) throw new InvalidOperationException($"windowed and dense local attention differ by {diff}");

        double windowed = BenchUtil.Time(() => { using var s = NewDisposeScope(); plan.Attend(q, k, v, 0.0); }, runs);
        double dense = BenchUtil.Time(() => { using var s = NewDisposeScope(); Dense(); }, runs);
        Console.WriteLine($"threads {get_num_threads()}, tokens {tokens}: windowed {windowed * 1e3:F1} ms, dense masked SDPA {dense * 1e3:F1} ms");
        Console.WriteLine($"P2: {dense / windowed:F2}");
    }
}
