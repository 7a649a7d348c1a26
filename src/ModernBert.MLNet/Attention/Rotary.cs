using static TorchSharp.torch;

namespace MLNetExt.ModernBert;

/// <summary>GPT-NeoX-style rotary position embedding: rotate_half over the full head dimension.</summary>
public static class Rotary
{
    /// <summary>cos and sin tables [T, headDim] in float32 for the given positions and base theta.</summary>
    public static (Tensor Cos, Tensor Sin) Tables(Tensor positions, int headDim, double theta)
    {
        // inv_freq[j] = theta^(-2j / d), computed in float64 like HF's arange(0, d, 2) / d in float then cast.
        var invFreq = pow(theta, -arange(0, headDim, 2, float64, positions.device) / headDim).to(float32); // [d/2]
        var freqs = positions.to(float32).unsqueeze(1) * invFreq.unsqueeze(0);                              // [T, d/2]
        var emb = cat([freqs, freqs], 1);                                                                   // [T, d]
        return (emb.cos(), emb.sin());
    }

    /// <summary>x: [T, heads, headDim]; cos, sin: [T, headDim]. Rotates in float32 and returns x's dtype, as HF does.</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        var xf = x.to(float32);
        var rotated = xf * cos.unsqueeze(1) + RotateHalf(xf) * sin.unsqueeze(1);
        return rotated.to(x.dtype);
    }

    /// <summary>[x1, x2] -> [-x2, x1] over the last dimension's halves.</summary>
    static Tensor RotateHalf(Tensor x)
    {
        var halves = x.chunk(2, -1);
        return cat([-halves[1], halves[0]], -1);
    }
}
