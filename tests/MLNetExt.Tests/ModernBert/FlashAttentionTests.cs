using System.Runtime.InteropServices;
using MLNetExt.ModernBert;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.Tests.ModernBert;

/// <summary>
/// The varlen flash-attention path (<see cref="VarlenFlashAttention"/>) is CUDA-only; on the CPU these tests prove its
/// plumbing (TorchScript reaches the op with our arguments) and that libtorch's flash kernel computes our windowed attention.
/// </summary>
[TestClass]
public sealed class FlashAttentionTests
{
    [TestMethod]
    public void VarlenFlashKernelIsReachedThroughTorchScript()
    {
        using var scope = NewDisposeScope();
        var q = randn(40, 4, 16).to(bfloat16);          // [T, heads, headDim]: two sequences of 16 and 24 tokens
        var cuSeqlens = tensor(new[] { 0, 16, 40 });
        // The script compiled (schema and argument types matched) and the dispatcher answered for the CPU backend.
        var e = Assert.ThrowsExactly<ExternalException>(() => VarlenFlashAttention.Attend(q, q, q, cuSeqlens, 24, 64));
        StringAssert.Contains(e.Message, "Could not run 'aten::_flash_attention_forward' with arguments from the 'CPU' backend");
        StringAssert.Contains(e.Message, "AutogradCUDA", "the op has a backward for training on CUDA");
    }

    [TestMethod]
    public void CpuFlashKernelGivenTheBandComputesTheLocalPlan()
    {
        using var scope = NewDisposeScope();
        const int tokens = 200, half = 8, heads = 2, headDim = 8;
        manual_seed(3);
        var (q, k, v) = (randn(tokens, heads, headDim), randn(tokens, heads, headDim), randn(tokens, heads, headDim));
        using var plan = AttentionPlan.Local([0, tokens], half, CPU);
        var ours = plan.Attend(q, k, v, 0.0);                                                        // [T, nh, hd]
        var position = arange(tokens);
        var band = (position.unsqueeze(1) - position.unsqueeze(0)).abs().le(half);                 // |i - j| <= half
        var additive = zeros(tokens, tokens).masked_fill(band.logical_not(), float.NegativeInfinity);
        using var script = jit.compile("""
            def flash(q: Tensor, k: Tensor, v: Tensor, mask: Tensor) -> Tensor:
                return torch._scaled_dot_product_flash_attention_for_cpu(q, k, v, 0.0, False, attn_mask=mask)[0]

            """);
        Tensor Heads(Tensor x) => x.transpose(0, 1).unsqueeze(0);                                  // [1, nh, T, hd]
        var flash = ((Tensor)script.invoke("flash", Heads(q), Heads(k), Heads(v), additive)).squeeze(0).transpose(0, 1);
        Assert.IsLessThan(1e-5, (flash - ours).abs().max().item<float>());
    }
}
