using MLNetExt.ModernBert;
using static TorchSharp.torch;

namespace MLNetExt.Bench;

/// <summary>
/// The padded way, as Hugging Face's SDPA path runs ModernBERT without unpadding: every row padded to the batch's
/// longest, dense [B, nh, L, L] attention with key-padding masks (and a band mask in local layers). Written
/// functionally over the packed model's own weights, so it is also an independent check of its outputs.
/// </summary>
sealed class PaddedReference(ModernBertModel model)
{
    readonly ModernBertConfig c = model.Config;
    readonly Dictionary<string, Tensor> w = model.state_dict();

    /// <summary>ids, mask: [B, L] (right padding). Returns [B, L, H]; rows at padding are garbage.</summary>
    public Tensor Forward(Tensor ids, Tensor mask)
    {
        long b = ids.shape[0], l = ids.shape[1];
        var x = LayerNorm(w["embeddings.tok_embeddings.weight"].index_select(0, ids.flatten()).view(ids.shape[0], ids.shape[1], -1), "embeddings.norm");
        var positions = arange(l).repeat(b);                                                     // [B * L]
        var pos = arange(l);
        var band = (pos.unsqueeze(1) - pos.unsqueeze(0)).abs().le(c.LocalHalfWindow);             // [L, L]
        var keys = mask.to(@bool).view(b, 1, 1, l);                                              // [B, 1, 1, L]
        for (int i = 0; i < c.NumHiddenLayers; i++)
        {
            var kind = c.LayerType(i);
            var (cos, sin) = Rotary.Tables(positions, c.HeadDim, c.RopeTheta(kind));
            var attnMask = kind == AttentionKind.Global ? keys : keys & band.view(1, 1, l, l);   // [B, 1, L|1, L]
            var a = i == 0 ? x : LayerNorm(x, $"layers.{i}.attn_norm");
            var qkv = nn.functional.linear(a, w[$"layers.{i}.attn.Wqkv.weight"]).view(b * l, 3, c.NumAttentionHeads, c.HeadDim);
            Tensor Heads(Tensor t) => t.view(b, l, c.NumAttentionHeads, c.HeadDim).transpose(1, 2); // [B, nh, L, hd]
            var q = Heads(Rotary.Apply(qkv.select(1, 0), cos, sin));
            var k = Heads(Rotary.Apply(qkv.select(1, 1), cos, sin));
            var v = Heads(qkv.select(1, 2));
            var o = nn.functional.scaled_dot_product_attention(q, k, v, attnMask).transpose(1, 2).reshape(b, l, c.HiddenSize);
            x = x + nn.functional.linear(o, w[$"layers.{i}.attn.Wo.weight"]);
            var gates = nn.functional.linear(LayerNorm(x, $"layers.{i}.mlp_norm"), w[$"layers.{i}.mlp.Wi.weight"]).chunk(2, -1);
            x = x + nn.functional.linear(nn.functional.gelu(gates[0]) * gates[1], w[$"layers.{i}.mlp.Wo.weight"]);
        }
        return LayerNorm(x, "final_norm");
    }

    Tensor LayerNorm(Tensor x, string name) => nn.functional.layer_norm(x, [c.HiddenSize], w[name + ".weight"], null, c.NormEps);
}
