using MLNetExt.Training;
using static TorchSharp.torch;

namespace MLNetExt.Blt.Modules;

/// <summary>
/// Rotary embeddings over ADJACENT pairs (dims 2i, 2i+1), as BLT does ("interleave" rather than Llama's halves).
/// Positions restart at 0 in every document of a packed row.
/// </summary>
public static class Rope
{
    /// <summary>cos/sin tables (B, 1, S, headDim) for integer <paramref name="positions"/> (B, S).</summary>
    public static (Tensor Cos, Tensor Sin) Tables(Tensor positions, int headDim, double theta)
    {
        // float32 throughout, as HF computes it, so large positions round the same way.
        var invFreq = tensor(Enumerable.Range(0, headDim / 2).Select(j => 1f / MathF.Pow((float)theta, 2 * j / (float)headDim)).ToArray(), device: positions.device);
        var freqs = positions.to_type(ScalarType.Float32).unsqueeze(-1) * invFreq;   // (B, S, headDim/2)
        var emb = freqs.repeat_interleave(2, dim: -1).unsqueeze(1);                     // (B, 1, S, headDim): each angle twice, adjacent
        return (emb.cos(), emb.sin());
    }

    /// <summary>x (B, H, S, D) rotated pairwise: (x0, x1) -> (x0 cos - x1 sin, x1 cos + x0 sin).</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        var even = x[TensorIndex.Ellipsis, TensorIndex.Slice(0, null, 2)];
        var odd = x[TensorIndex.Ellipsis, TensorIndex.Slice(1, null, 2)];
        var rotated = stack([-odd, even], dim: -1).flatten(-2);                         // (B, H, S, D)
        return (x * cos.to_type(x.dtype)).Plus(rotated * sin.to_type(x.dtype));
    }
}
