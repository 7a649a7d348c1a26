using MLNetExt.Training;
using static TorchSharp.torch;

namespace MLNetExt.ModernBert;

/// <summary>GPT-NeoX-style rotary position embedding: rotate_half over the full head dimension.</summary>
public static class Rotary
{
    /// <summary>
    /// cos and signed sin tables [T, headDim] in float32 for the given positions and base theta. The sin table is
    /// [-sin, sin] over the two halves so that rotate_half(x) * sin becomes roll(x, headDim / 2) * table.
    /// </summary>
    public static (Tensor Cos, Tensor Sin) Tables(Tensor positions, int headDim, double theta)
    {
        // inv_freq[j] = theta^(-2j / d), computed in float64 then cast, as HF does.
        var invFreq = tensor(Enumerable.Range(0, headDim / 2).Select(j => (float)Math.Pow(theta, -2.0 * j / headDim)).ToArray(), device: positions.device); // [d/2]
        var freqs = positions.to(float32).unsqueeze(1) * invFreq.unsqueeze(0);                              // [T, d/2]
        var sinHalf = freqs.sin();
        return (cat([freqs, freqs], 1).cos(), cat([-sinHalf, sinHalf], 1));                                 // [T, d] each
    }

    /// <summary>
    /// x: [T, ..., headDim] (e.g. [T, heads, headDim], or [T, 2, heads, headDim] for q and k at once); cos, sin from
    /// <see cref="Tables"/>. Rotates in the tables' dtype and returns x's dtype: float32 tables rotate a bf16 x in
    /// float32 (as HF does); tables already cast to bf16 keep the whole rotation in bf16, half the memory traffic.
    /// </summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        // Tables broadcast over the dimensions between tokens and headDim.
        var shape = Enumerable.Repeat(1L, (int)x.dim()).ToArray();
        (shape[0], shape[^1]) = (x.shape[0], x.shape[^1]);
        var rotated = x.mul(cos.view(shape));
        // rotate_half(x) = [-x2, x1] = roll(x, d/2) * [-1, 1]; the sign lives in the sin table.
        rotated.addcmul_(x.roll(x.shape[^1] / 2, -1), sin.view(shape), Scalars.One);
        return rotated.dtype == x.dtype ? rotated : rotated.to(x.dtype);
    }
}
