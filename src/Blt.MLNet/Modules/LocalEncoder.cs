using MLNetExt.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetExt.Blt.Modules;

/// <summary>
/// Byte-level encoder: transformer layers over byte embeddings, then cross-attention pooling into patches. Each patch
/// gets k queries initialised from a max-pool of its bytes (projected to k·hidden), which attend to that patch's bytes
/// only. With <c>cross_attn_all_layers</c> the queries are pooled after the first layer and refined after every layer.
/// </summary>
public sealed class LocalEncoder : nn.Module
{
    readonly ModuleList<BltTransformerLayer> layers;
    readonly Linear patch_embedding_projection;
    readonly Embedding embed_tokens;
    readonly ModuleList<BltCrossAttention> cross_attn_layers;
    readonly BltLocalEncoderConfig config;
    readonly int firstCrossLayer;   // byte layer whose output is pooled and first cross-attended

    public LocalEncoder(BltLocalEncoderConfig config) : base(nameof(LocalEncoder))
    {
        this.config = config;
        layers = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new BltTransformerLayer(config.Layer)).ToArray());
        patch_embedding_projection = nn.Linear(config.HiddenSize, config.HiddenSize * config.CrossAttnK, hasBias: false);
        embed_tokens = nn.Embedding(config.VocabSize, config.HiddenSize);
        int crossLayers = config.CrossAttnAllLayers ? config.NumHiddenLayers : 1;
        cross_attn_layers = nn.ModuleList(Enumerable.Range(0, crossLayers).Select(_ => new BltCrossAttention(config.Layer)).ToArray());
        firstCrossLayer = config.NumHiddenLayers - crossLayers;
        RegisterComponents();
    }

    public Tensor Embed(Tensor ids) => embed_tokens.forward(ids);

    public int LayerCount => layers.Count;

    /// <summary>Runs the byte layers; returns every layer's output (B, S, hidden), the last being the byte states.</summary>
    public List<Tensor> Layers(Tensor h, (Tensor Cos, Tensor Sin) rope, Tensor? mask, IReadOnlyList<KvCache>? caches = null)
    {
        var outputs = new List<Tensor>(layers.Count);
        for (int i = 0; i < layers.Count; i++)
        {
            h = layers[i].Forward(h, rope, mask, caches?[i]);
            outputs.Add(h);
        }
        return outputs;
    }

    /// <summary>
    /// Patch states (B, P·k, hidden) from the per-layer byte states: each patch's bytes max-pooled by
    /// <paramref name="pooling"/>, projected to k queries, then cross-attended; <paramref name="crossMask"/> lets each
    /// patch see only its bytes (null when all bytes form one patch).
    /// </summary>
    internal Tensor PoolPatches(IReadOnlyList<Tensor> layerOutputs, PatchPooling pooling, Tensor? crossMask)
    {
        var bytes = layerOutputs[firstCrossLayer];
        long b = bytes.shape[0], d = bytes.shape[2];
        var pooled = pooling.Pool(bytes);                                                                  // (B, P, D)
        var patches = patch_embedding_projection.forward(pooled).view(b, pooling.NumPatches * config.CrossAttnK, d);  // (B, P·k, D)
        for (int i = firstCrossLayer; i < layerOutputs.Count; i++)
            patches = patches.Plus(cross_attn_layers[i - firstCrossLayer].Forward(patches, layerOutputs[i], crossMask));
        return patches;
    }
}
