using MLNetExt.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.Blt;

/// <summary>
/// Additive attention masks (0 = visible, large negative = hidden), shape (B, 1, queries, keys). Hidden entries use a
/// finite value so a query that sees nothing (an empty placeholder patch) yields a harmless average, never NaN.
/// </summary>
static class BltMasks
{
    static readonly Scalar Hidden = (-1e30f).ToScalar();

    static Tensor Additive(Tensor visible) => zeros(visible.shape, dtype: ScalarType.Float32, device: visible.device).masked_fill(visible.logical_not(), Hidden).unsqueeze(1);

    /// <summary>Byte self-attention: causal, same document, and within <paramref name="window"/> bytes when given.</summary>
    public static Tensor Local(Tensor docIds, Tensor positions, int? window)
    {
        var sameDoc = docIds.unsqueeze(2).eq(docIds.unsqueeze(1));                        // (B, S, S)
        var delta = positions.unsqueeze(2) - positions.unsqueeze(1);                       // query pos - key pos
        var visible = sameDoc.logical_and(delta.ge(Scalars.Zero));
        if (window is int w)
        {
            using var limit = w.ToScalar();
            visible = visible.logical_and(delta.lt(limit));
        }
        return Additive(visible);
    }

    /// <summary>Latent self-attention over patches: causal within a document (block-causal).</summary>
    public static Tensor Global(Tensor patchDocIds)
    {
        long p = patchDocIds.shape[1];
        var causal = ones(p, p, dtype: ScalarType.Bool, device: patchDocIds.device).tril();
        return Additive(patchDocIds.unsqueeze(2).eq(patchDocIds.unsqueeze(1)).logical_and(causal));
    }

    /// <summary>Encoder pooling: each of the k queries of patch p sees exactly the bytes of patch p. (B, 1, P·k, S)</summary>
    public static Tensor PatchesSeeTheirBytes(Tensor patchIds, int numPatches, int k)
    {
        var patch = Scalars.Arange(numPatches, patchIds.device).repeat_interleave(k).view(1, -1, 1);   // (1, P·k, 1)
        return Additive(patch.eq(patchIds.unsqueeze(1)));
    }

    /// <summary>Decoder: byte t sees the k states of its decoder patch only. (B, 1, S, P·k)</summary>
    public static Tensor BytesSeeTheirPatch(Tensor decoderPatchIds, int numPatches, int k)
    {
        var patch = Scalars.Arange(numPatches, decoderPatchIds.device).repeat_interleave(k).view(1, 1, -1);  // (1, 1, P·k)
        return Additive(decoderPatchIds.unsqueeze(2).eq(patch));
    }
}
