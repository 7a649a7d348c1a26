using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetExt.Blt.Modules;

/// <summary>
/// The latent transformer over patch states, block-causal per document. A patch enters as the concatenation of its
/// k encoder queries (k·encoder hidden); <c>token_embedding_projection</c> exists only when that differs from the
/// latent width, as in HF (otherwise the key is absent from checkpoints).
/// </summary>
public sealed class GlobalTransformer : nn.Module
{
    readonly ModuleList<BltTransformerLayer> layers;
    readonly nn.Module<Tensor, Tensor> token_embedding_projection;
    readonly LayerShape shape;

    public GlobalTransformer(BltGlobalTransformerConfig config, int encoderCrossOutputSize) : base(nameof(GlobalTransformer))
    {
        shape = config.Layer;
        layers = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new BltTransformerLayer(shape)).ToArray());
        token_embedding_projection = encoderCrossOutputSize != config.HiddenSize
            ? nn.Linear(encoderCrossOutputSize, config.HiddenSize, hasBias: false)
            : nn.Identity();
        RegisterComponents();
    }

    public int LayerCount => layers.Count;

    /// <param name="patches">(B, P, k·encoder hidden)</param>
    /// <param name="positions">(B, P) patch index inside its document</param>
    /// <param name="mask">(B, 1, P, T) or null when every cached patch is visible</param>
    public Tensor Forward(Tensor patches, Tensor positions, Tensor? mask, IReadOnlyList<KvCache>? caches = null)
    {
        var h = token_embedding_projection.forward(patches);
        var rope = Rope.Tables(positions, shape.HeadDim, shape.RopeTheta);
        for (int i = 0; i < layers.Count; i++) h = layers[i].Forward(h, rope, mask, caches?[i]);
        return h;
    }
}
