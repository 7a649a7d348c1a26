using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetExt.Blt.Modules;

/// <summary>Multi-head (grouped-query) self-attention with interleaved RoPE and an explicit mask.</summary>
public sealed class BltSelfAttention : nn.Module
{
    readonly Linear q_proj, k_proj, v_proj, o_proj;
    readonly LayerShape shape;

    public BltSelfAttention(LayerShape shape) : base(nameof(BltSelfAttention))
    {
        this.shape = shape;
        q_proj = nn.Linear(shape.HiddenSize, shape.NumAttentionHeads * shape.HeadDim, hasBias: false);
        k_proj = nn.Linear(shape.HiddenSize, shape.NumKeyValueHeads * shape.HeadDim, hasBias: false);
        v_proj = nn.Linear(shape.HiddenSize, shape.NumKeyValueHeads * shape.HeadDim, hasBias: false);
        o_proj = nn.Linear(shape.NumAttentionHeads * shape.HeadDim, shape.HiddenSize, hasBias: false);
        RegisterComponents();
    }

    /// <param name="x">(B, S, hidden)</param>
    /// <param name="rope">cos/sin tables for the S new positions</param>
    /// <param name="mask">bool (B, 1, S, T) over all T keys (true = visible), or null when every cached key is visible</param>
    /// <param name="cache">generation cache: the new keys/values are appended and attention runs over all of them</param>
    public Tensor Forward(Tensor x, (Tensor Cos, Tensor Sin) rope, Tensor? mask, KvCache? cache = null)
    {
        long b = x.shape[0], s = x.shape[1];
        var q = q_proj.forward(x).view(b, s, shape.NumAttentionHeads, shape.HeadDim).transpose(1, 2);   // (B, H, S, D)
        var k = k_proj.forward(x).view(b, s, shape.NumKeyValueHeads, shape.HeadDim).transpose(1, 2);    // (B, Hkv, S, D)
        var v = v_proj.forward(x).view(b, s, shape.NumKeyValueHeads, shape.HeadDim).transpose(1, 2);
        q = Rope.Apply(q, rope.Cos, rope.Sin);
        k = Rope.Apply(k, rope.Cos, rope.Sin);
        if (cache is not null) (k, v) = cache.Append(k, v);
        var o = Attend(q, k, v, mask, shape.NumAttentionHeads / shape.NumKeyValueHeads);
        return o_proj.forward(o.transpose(1, 2).reshape(b, s, -1));                                  // (B, S, H*D)
    }

    /// <summary>Scaled dot-product attention; key/value heads repeated for grouped-query attention.</summary>
    internal static Tensor Attend(Tensor q, Tensor k, Tensor v, Tensor? mask, int groups)
    {
        if (groups > 1)
        {
            k = k.repeat_interleave(groups, dim: 1);
            v = v.repeat_interleave(groups, dim: 1);
        }
        // Bool masks (true = visible) go as they are; additive ones must match q's dtype.
        return nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: mask is null || mask.dtype == ScalarType.Bool ? mask : mask.to_type(q.dtype));
    }
}
