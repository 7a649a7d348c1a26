using static TorchSharp.torch;

namespace MLNetExt.ModernBert;

/// <summary>
/// Variable-length flash attention with a sliding window, the kernel ModernBERT was designed around: one call per
/// layer over the packed [T, heads, headDim] tensors, sequences given by cu_seqlens, no gather, no padding, no mask.
/// libtorch has it (<c>aten::_flash_attention_forward</c>, with its backward registered for autograd) but only for CUDA
/// in fp16/bf16, and TorchSharp does not bind it, so it is reached through a TorchScript function. Until it has run on
/// a GPU it stays off: <see cref="AttentionPlan"/>'s gathered SDPA is the path everywhere, and the switch is
/// <see cref="PackedInput"/>'s <c>flash</c> argument, taken only on CUDA (docs/GPU.md).
/// </summary>
internal static class VarlenFlashAttention
{
    // Integers pass to TorchScript as ints (no Scalar); dropout and the scale stay the op's defaults (0, 1/sqrt(hd)).
    const string Script = """
        def attend(q: Tensor, k: Tensor, v: Tensor, cu_seqlens: Tensor, max_len: int, window_left: int, window_right: int) -> Tensor:
            out = torch._flash_attention_forward(q, k, v, cu_seqlens, cu_seqlens, max_len, max_len, 0.0, False, False,
                window_size_left=window_left, window_size_right=window_right)
            return out[0]

        """;

    static readonly Lazy<jit.CompilationUnit> Compiled = new(() => jit.compile(Script));

    /// <summary>
    /// q, k, v: [T, heads, headDim] (fp16/bf16 on CUDA); <paramref name="cuSeqlens"/>: [B + 1] int32 on the same device.
    /// <paramref name="halfWindow"/> &lt; 0 attends to the whole sequence; otherwise |i - j| &lt;= halfWindow.
    /// </summary>
    public static Tensor Attend(Tensor q, Tensor k, Tensor v, Tensor cuSeqlens, int maxLength, int halfWindow) =>
        (Tensor)Compiled.Value.invoke("attend", q, k, v, cuSeqlens, maxLength, halfWindow, halfWindow);
}
