using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetExt.Bench;

/// <summary>Shape of the stand-in encoder (defaults: a 4-layer, 256-wide BERT-style model, ~5M parameters).</summary>
sealed record ToyEncoderConfig(int VocabSize = 8192, int Hidden = 256, int Layers = 4, int Heads = 4, int Intermediate = 1024);

/// <summary>A pre-norm transformer encoder with an MLM head, the realistic-shaped workload for P5.</summary>
sealed class ToyEncoder : nn.Module<Tensor, Tensor, Tensor>
{
    readonly Embedding tok_embeddings;
    readonly ModuleList<EncoderLayer> layers;
    readonly LayerNorm final_norm;
    readonly Linear decoder;

    public ToyEncoder(ToyEncoderConfig c) : base(nameof(ToyEncoder))
    {
        tok_embeddings = nn.Embedding(c.VocabSize, c.Hidden);
        layers = nn.ModuleList(Enumerable.Range(0, c.Layers).Select(_ => new EncoderLayer(c)).ToArray());
        final_norm = nn.LayerNorm(c.Hidden);
        decoder = nn.Linear(c.Hidden, c.VocabSize);
        RegisterComponents();
    }

    /// <summary>ids (B, S) -> logits (M, V) at the M flattened <paramref name="labelPositions"/> only.</summary>
    public override Tensor forward(Tensor ids, Tensor labelPositions)
    {
        var h = tok_embeddings.forward(ids);                     // (B, S, d)
        foreach (var layer in layers) h = layer.forward(h);
        h = final_norm.forward(h).flatten(0, 1);                 // (B·S, d)
        return decoder.forward(h.index_select(0, labelPositions)); // (M, V)
    }

    sealed class EncoderLayer : nn.Module<Tensor, Tensor>
    {
        readonly LayerNorm attn_norm, mlp_norm;
        readonly Linear Wqkv, Wo, Wi, Wo_mlp;
        readonly int _heads;

        public EncoderLayer(ToyEncoderConfig c) : base(nameof(EncoderLayer))
        {
            attn_norm = nn.LayerNorm(c.Hidden);
            Wqkv = nn.Linear(c.Hidden, 3 * c.Hidden);
            Wo = nn.Linear(c.Hidden, c.Hidden);
            mlp_norm = nn.LayerNorm(c.Hidden);
            Wi = nn.Linear(c.Hidden, c.Intermediate);
            Wo_mlp = nn.Linear(c.Intermediate, c.Hidden);
            _heads = c.Heads;
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            x = x + Attention(attn_norm.forward(x));
            return x + Wo_mlp.forward(nn.functional.gelu(Wi.forward(mlp_norm.forward(x))));
        }

        Tensor Attention(Tensor x)
        {
            long b = x.shape[0], s = x.shape[1], d = x.shape[2];
            var qkv = Wqkv.forward(x).view(b, s, 3, _heads, d / _heads).permute(2, 0, 3, 1, 4); // (3, B, H, S, hd)
            var o = nn.functional.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2]);        // (B, H, S, hd)
            return Wo.forward(o.transpose(1, 2).reshape(b, s, d));
        }
    }
}
