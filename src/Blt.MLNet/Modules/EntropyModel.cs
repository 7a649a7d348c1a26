using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetExt.Blt.Modules;

/// <summary>
/// The small causal byte LM (HF <c>BltPatcher</c>, checkpoint prefix <c>model.patcher.</c>) whose next-byte entropies
/// place patch boundaries. Each document is scored on its own (causal, document-split mask, positions restart), so
/// no row or document sees another: the reference's flattened-batch leak (facebookresearch/blt issue #123) cannot occur.
/// </summary>
public sealed class EntropyModel : nn.Module
{
    readonly Embedding embed_tokens;
    readonly ModuleList<BltTransformerLayer> layers;
    readonly RmsNorm norm;
    readonly Linear lm_head;
    readonly LayerShape shape;

    public BltPatcherConfig Config { get; }

    public EntropyModel(BltPatcherConfig config) : base(nameof(EntropyModel))
    {
        Config = config;
        shape = config.Layer;
        embed_tokens = nn.Embedding(config.VocabSize, config.HiddenSize);
        layers = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new BltTransformerLayer(shape)).ToArray());
        norm = new RmsNorm(config.HiddenSize, config.RmsNormEps);
        lm_head = nn.Linear(config.HiddenSize, config.VocabSize, hasBias: false);
        RegisterComponents();
    }

    /// <summary>Next-byte logits (B, S, V) for ids (B, S), documents given by <paramref name="docIds"/>/<paramref name="positions"/> (B, S).</summary>
    public Tensor Logits(Tensor ids, Tensor docIds, Tensor positions)
    {
        var rope = Rope.Tables(positions, shape.HeadDim, shape.RopeTheta);
        var mask = BltMasks.Local(docIds, positions, window: null);
        var h = embed_tokens.forward(ids);
        foreach (var layer in layers) h = layer.Forward(h, rope, mask);
        return lm_head.forward(norm.forward(h));
    }

    /// <summary>Entropy in nats of each next-byte distribution, (B, S).</summary>
    public static Tensor Entropy(Tensor logits)
    {
        var logp = logits.to_type(ScalarType.Float32).log_softmax(-1);
        return -(logp.exp() * logp).sum(-1);
    }

    /// <summary>Per-document entropies of a batch, (B, S), without gradients.</summary>
    public Tensor Entropies(BltBatch batch)
    {
        using var _ = no_grad();
        var device = embed_tokens.weight!.device;
        return Entropy(Logits(Ids(batch.Inputs, batch, device), Ids(batch.DocIds, batch, device), Ids(batch.Positions, batch, device)));
    }

    /// <summary>Mean next-byte cross-entropy (nats): the entropy model's own training objective.</summary>
    public Tensor Loss(BltBatch batch)
    {
        var device = embed_tokens.weight!.device;
        var logits = Logits(Ids(batch.Inputs, batch, device), Ids(batch.DocIds, batch, device), Ids(batch.Positions, batch, device));
        return nn.functional.cross_entropy(logits.view(-1, logits.shape[^1]), Ids(batch.Targets, batch, device).view(-1), ignore_index: BltBatch.IgnoreIndex);
    }

    /// <summary>Generation: logits (1, 1, V) for one new byte at <paramref name="position"/>, attending through the caches.</summary>
    public Tensor Step(Tensor id, long position, IReadOnlyList<KvCache> caches)
    {
        var rope = Rope.Tables(tensor(new[] { position }, device: id.device).view(1, 1), shape.HeadDim, shape.RopeTheta);
        var h = embed_tokens.forward(id);
        for (int i = 0; i < layers.Count; i++) h = layers[i].Forward(h, rope, mask: null, caches[i]);
        return lm_head.forward(norm.forward(h));
    }

    public int LayerCount => layers.Count;

    internal static Tensor Ids(long[] values, BltBatch batch, Device device) => tensor(values, [batch.Rows, batch.Length], device: device);
}
