using MLNetExt.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetExt.Blt.Modules;

/// <summary>
/// Byte-level decoder: starts from the encoder's byte states; before a layer (every layer with
/// <c>cross_attn_all_layers</c>, else the first) each byte cross-attends to the k projected latent states of its
/// decoder patch; ends with RMSNorm (the LM head lives on the model).
/// </summary>
public sealed class LocalDecoder : nn.Module
{
    readonly ModuleList<BltTransformerLayer> layers;
    readonly Linear patch_embedding_projection;
    readonly RmsNorm norm;
    readonly ModuleList<BltCrossAttention> cross_attn_layers;
    readonly BltLocalDecoderConfig config;

    public LocalDecoder(BltLocalDecoderConfig config) : base(nameof(LocalDecoder))
    {
        this.config = config;
        layers = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new BltTransformerLayer(config.Layer)).ToArray());
        patch_embedding_projection = nn.Linear(config.HiddenSizeGlobal, config.HiddenSize * config.CrossAttnK, hasBias: false);
        norm = new RmsNorm(config.HiddenSize, config.RmsNormEps);
        int crossLayers = config.CrossAttnAllLayers ? config.NumHiddenLayers : 1;
        cross_attn_layers = nn.ModuleList(Enumerable.Range(0, crossLayers).Select(_ => new BltCrossAttention(config.Layer)).ToArray());
        RegisterComponents();
    }

    public int LayerCount => layers.Count;

    /// <summary>Latent states (B, P, global hidden) to the decoder's keys (B, P·k, hidden).</summary>
    public Tensor ProjectPatches(Tensor latent) =>
        patch_embedding_projection.forward(latent).view(latent.shape[0], latent.shape[1] * config.CrossAttnK, config.HiddenSize);

    /// <param name="bytes">encoder byte states (B, S, hidden)</param>
    /// <param name="patchKeys">projected latent states (B, P·k, hidden)</param>
    /// <param name="crossMask">(B, 1, S, P·k), or null when every byte reads all given patch states</param>
    public Tensor Forward(Tensor bytes, Tensor patchKeys, (Tensor Cos, Tensor Sin) rope, Tensor? mask, Tensor? crossMask, IReadOnlyList<KvCache>? caches = null)
    {
        var h = bytes;
        for (int i = 0; i < layers.Count; i++)
        {
            if (i < cross_attn_layers.Count) h = h.Plus(cross_attn_layers[i].Forward(h, patchKeys, crossMask));
            h = layers[i].Forward(h, rope, mask, caches?[i]);
        }
        return norm.forward(h);
    }
}
