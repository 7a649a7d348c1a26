using MLNetExt.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.Blt;

/// <summary>
/// Attention masks, shape (B, 1, queries, keys). Self-attention masks are bool (true = visible; a quarter of a float
/// mask, and never cast per layer): every query sees at least itself. Cross-attention masks are additive floats (0 =
/// visible, large negative = hidden) because some queries see nothing (an empty placeholder patch, a padding byte):
/// a finite value makes those a harmless average, never NaN. Intermediates are freed as soon as they are used, since
/// at S bytes each is S² elements.
/// </summary>
static class BltMasks
{
    static readonly Scalar Hidden = (-1e30f).ToScalar();

    /// <summary>Byte self-attention: causal, same document, and within <paramref name="window"/> bytes when given.</summary>
    public static Tensor Local(Tensor docIds, Tensor positions, int? window)
    {
        var query = positions.unsqueeze(2);                                                   // (B, S, 1)
        var key = positions.unsqueeze(1);                                                     // (B, 1, S)
        var visible = docIds.unsqueeze(2).eq(docIds.unsqueeze(1));                            // (B, S, S)
        using (var causal = key.le(query)) visible.logical_and_(causal);
        if (window is int w)
        {
            using var limit = w.ToScalar();
            using var oldest = query.sub(limit);                                              // keys must be > query - w
            using var inWindow = key.gt(oldest);
            visible.logical_and_(inWindow);
        }
        return visible.unsqueeze(1);
    }

    /// <summary>Latent self-attention over patches: causal within a document (block-causal).</summary>
    public static Tensor Global(Tensor patchDocIds)
    {
        long p = patchDocIds.shape[1];
        using var causal = ones(p, p, dtype: ScalarType.Bool, device: patchDocIds.device).tril();
        return patchDocIds.unsqueeze(2).eq(patchDocIds.unsqueeze(1)).logical_and_(causal).unsqueeze(1);
    }

    /// <summary>Encoder pooling: each of the k queries of patch p sees exactly the bytes of patch p. (B, 1, P·k, S)</summary>
    public static Tensor PatchesSeeTheirBytes(Tensor patchIds, int numPatches, int k)
    {
        var patch = Scalars.Arange(numPatches, patchIds.device).repeat_interleave(k).view(1, -1, 1);   // (1, P·k, 1)
        return Additive(patch.ne(patchIds.unsqueeze(1)));
    }

    /// <summary>Decoder: byte t sees the k states of its decoder patch only. (B, 1, S, P·k)</summary>
    public static Tensor BytesSeeTheirPatch(Tensor decoderPatchIds, int numPatches, int k)
    {
        var patch = Scalars.Arange(numPatches, decoderPatchIds.device).repeat_interleave(k).view(1, 1, -1);  // (1, 1, P·k)
        return Additive(decoderPatchIds.unsqueeze(2).ne(patch));
    }

    static Tensor Additive(Tensor hidden)
    {
        using (hidden)
            return zeros(hidden.shape, dtype: ScalarType.Float32, device: hidden.device).masked_fill_(hidden, Hidden).unsqueeze(1);
    }
}
