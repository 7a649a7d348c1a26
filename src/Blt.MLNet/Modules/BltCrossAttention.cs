using MLNetExt.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetExt.Blt.Modules;

/// <summary>
/// Cross-attention between bytes and patches, no RoPE, queries and keys RMS-normed first.
/// Returns o_proj(attention) + x: the residual is added INSIDE (as the reference and HF do), and callers add their
/// own residual again; trained checkpoints depend on this doubled residual.
/// </summary>
public sealed class BltCrossAttention : nn.Module
{
    readonly Linear q_proj, k_proj, v_proj, o_proj;
    readonly RmsNorm q_norm, k_norm;
    readonly LayerShape shape;

    public BltCrossAttention(LayerShape shape) : base(nameof(BltCrossAttention))
    {
        this.shape = shape;
        q_proj = nn.Linear(shape.HiddenSize, shape.NumAttentionHeads * shape.HeadDim, hasBias: false);
        k_proj = nn.Linear(shape.HiddenSize, shape.NumKeyValueHeads * shape.HeadDim, hasBias: false);
        v_proj = nn.Linear(shape.HiddenSize, shape.NumKeyValueHeads * shape.HeadDim, hasBias: false);
        o_proj = nn.Linear(shape.NumAttentionHeads * shape.HeadDim, shape.HiddenSize, hasBias: false);
        q_norm = new RmsNorm(shape.HiddenSize, shape.RmsNormEps);
        k_norm = new RmsNorm(shape.HiddenSize, shape.RmsNormEps);
        RegisterComponents();
    }

    /// <param name="x">queries (B, Q, hidden)</param>
    /// <param name="kv">attended states (B, T, hidden)</param>
    /// <param name="mask">additive (B, 1, Q, T) or null</param>
    public Tensor Forward(Tensor x, Tensor kv, Tensor? mask)
    {
        long b = x.shape[0], n = x.shape[1];
        var q = q_proj.forward(q_norm.forward(x)).view(b, n, shape.NumAttentionHeads, shape.HeadDim).transpose(1, 2);  // (B, H, Q, D)
        var kvn = k_norm.forward(kv);
        var k = k_proj.forward(kvn).view(b, -1, shape.NumKeyValueHeads, shape.HeadDim).transpose(1, 2);               // (B, Hkv, T, D)
        var v = v_proj.forward(kvn).view(b, -1, shape.NumKeyValueHeads, shape.HeadDim).transpose(1, 2);
        var o = BltSelfAttention.Attend(q, k, v, mask, shape.NumAttentionHeads / shape.NumKeyValueHeads);
        return o_proj.forward(o.transpose(1, 2).reshape(b, n, -1)).Plus(x);
    }
}
