using MLNetExt.Training;
using MLNetExt.Blt.Modules;
using MLNetExt.Blt.Patching;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetExt.Blt;

/// <summary>
/// Byte Latent Transformer (HF <c>BltForCausalLM</c>: parameters <c>model.*</c> and <c>lm_head.weight</c>).
/// The forward pass, in stages:
///   1. patch         – entropy model (or rule) places patch boundaries, per document, causally;
///   2. hash embed    – byte embedding + hash n-gram embeddings (n = 3..8);
///   3. local encoder – byte transformer, then cross-attention pooling of each patch's bytes;
///   4. global        – latent transformer over patches, block-causal per document;
///   5. local decoder – bytes cross-attend to the latent state of the last patch completed before the byte they
///                      predict, byte transformer, RMSNorm, then lm_head to 260 logits.
/// Every stage respects document ends, so a packed row equals its documents run one by one, and changing bytes after
/// position t never changes the logits at positions ≤ t.
/// </summary>
public sealed class BltModel : nn.Module<BltBatch, Tensor>
{
    readonly BltBackbone model;
    readonly Linear lm_head;

    public BltConfig Config { get; }
    public Patcher Patcher { get; }
    /// <summary>The entropy model (<c>model.patcher</c>), present when <see cref="BltConfig.PatchInForward"/>.</summary>
    public EntropyModel? EntropyModel => model.patcher;
    internal BltBackbone Backbone => model;
    internal Linear LmHead => lm_head;

    public BltModel(BltConfig config) : base(nameof(BltModel))
    {
        config.Validate();
        Config = config;
        Patcher = Patcher.FromConfig(config);
        model = new BltBackbone(config);
        lm_head = nn.Linear(config.DecoderConfig.HiddenSize, config.VocabSize, hasBias: false);
        RegisterComponents();
        BltInit.Apply(this);
        // The entropy model is trained on its own (EntropyModel.Loss); inside BLT it only patches.
        if (model.patcher is not null) foreach (var p in model.patcher.parameters()) p.requires_grad = false;
    }

    public Device Device => lm_head.weight!.device;

    /// <summary>Next-byte logits (B, S, 260), patching the batch with <see cref="Patch"/>.</summary>
    public override Tensor forward(BltBatch batch) => Forward(batch, Patch(batch));

    // ---- Stage 1: patch --------------------------------------------------------------------------------------------

    /// <summary>Entropies (if the mode needs them) → per-document start flags → patch layout.</summary>
    public PatchLayout Patch(BltBatch batch) => PatchLayout.Create(batch, Patcher, model.patcher);

    /// <summary>Next-byte logits (B, S, 260) for a given patch layout.</summary>
    public Tensor Forward(BltBatch batch, PatchLayout layout)
    {
        var (bytes, latent) = Encode(batch, layout);

        // ---- Stage 5: local decoder -------------------------------------------------------------------------------
        var positions = Grid(batch.Positions, batch.Rows, batch.Length);
        var decRope = Rope.Tables(positions, Config.DecoderConfig.Layer.HeadDim, Config.DecoderConfig.RopeTheta);
        var decoded = model.local_decoder.Forward(bytes, model.local_decoder.ProjectPatches(latent), decRope,
            BltMasks.Local(Grid(batch.DocIds, batch.Rows, batch.Length), positions, Config.DecoderConfig.SlidingWindow),
            BltMasks.BytesSeeTheirPatch(Grid(layout.DecoderPatchIds, batch.Rows, batch.Length), layout.NumPatches, Config.CrossAttnK));
        return lm_head.forward(decoded);                                                          // (B, S, 260)
    }

    /// <summary>
    /// Stages 2-4: the encoder's byte states (B, S, De) and the latent patch states (B, P, Dg); patch p of row r is
    /// real when p &lt; <see cref="PatchLayout.PatchCounts"/>[r]. The decoder and lm_head are not run.
    /// </summary>
    public (Tensor Bytes, Tensor Latent) Encode(BltBatch batch, PatchLayout layout)
    {
        var ids = Grid(batch.Inputs, batch.Rows, batch.Length);
        var docIds = Grid(batch.DocIds, batch.Rows, batch.Length);
        var positions = Grid(batch.Positions, batch.Rows, batch.Length);
        var patchIds = Grid(layout.PatchIds, batch.Rows, batch.Length);
        int numPatches = layout.NumPatches, k = Config.CrossAttnK;

        // ---- Stage 2: byte + hash n-gram embeddings ---------------------------------------------------------------
        var h = HashEmbed(ids, HashIds(batch));                                                   // (B, S, De)

        // ---- Stage 3: local encoder -------------------------------------------------------------------------------
        var encRope = Rope.Tables(positions, Config.EncoderConfig.Layer.HeadDim, Config.EncoderConfig.RopeTheta);
        var encLayers = model.local_encoder.Layers(h, encRope, BltMasks.Local(docIds, positions, Config.EncoderConfig.SlidingWindow));
        var patches = model.local_encoder.PoolPatches(encLayers, PatchPooling.Of(layout), BltMasks.PatchesSeeTheirBytes(patchIds, numPatches, k));

        // ---- Stage 4: global latent transformer over patches ------------------------------------------------------
        var patchDocs = Grid(layout.PatchDocIds, batch.Rows, numPatches);
        var latent = model.global_transformer.Forward(
            patches.view(batch.Rows, numPatches, -1),                                            // (B, P, k·De)
            Grid(layout.PatchPositions, batch.Rows, numPatches), BltMasks.Global(patchDocs));    // (B, P, Dg)
        return (encLayers[^1], latent);
    }

    Tensor Grid(long[] values, int rows, int cols) => tensor(values, [rows, cols], device: Device);

    /// <summary>Byte embedding plus the sum of all hash n-gram embeddings; <paramref name="hashIds"/> is (B, S, G).</summary>
    internal Tensor HashEmbed(Tensor ids, Tensor hashIds) =>
        model.local_encoder.Embed(ids).Plus(model.encoder_hash_tok_embedding.forward(hashIds).sum(2));

    Tensor HashIds(BltBatch batch)
    {
        int g = HashNgrams.Count(Config);
        var hashes = new long[batch.Rows * batch.Length * g];
        for (int r = 0; r < batch.Rows; r++)
        {
            foreach (var (start, length, _) in batch.Segments[r])
            {
                var doc = batch.Inputs.AsSpan((r * batch.Length) + start, length);
                for (int t = 0; t < length; t++)
                    HashNgrams.At(doc, t, Config, hashes.AsSpan((((r * batch.Length) + start + t) * g), g));
            }
        }
        return tensor(hashes, [batch.Rows, batch.Length, g], device: Device);
    }

    // ---- Loss --------------------------------------------------------------------------------------------------------

    /// <summary>Mean next-byte cross-entropy in nats over the batch's targets (padding ignored).</summary>
    public Tensor Loss(BltBatch batch)
    {
        var logits = forward(batch);
        var targets = tensor(batch.Targets, device: Device);
        return nn.functional.cross_entropy(logits.view(-1, logits.shape[^1]).to_type(ScalarType.Float32), targets, ignore_index: BltBatch.IgnoreIndex);
    }

    /// <summary>
    /// Bits per byte: total cross-entropy / (ln 2 × number of scored targets). Every target counts as one byte,
    /// EOS included; no gradients.
    /// </summary>
    public double BitsPerByte(BltBatch batch)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        long scored = batch.Targets.Count(t => t != BltBatch.IgnoreIndex);
        if (scored == 0) throw new ArgumentException("The batch has no targets to score (inference-only or all padding).", nameof(batch));
        var logits = forward(batch);
        var total = nn.functional.cross_entropy(logits.view(-1, logits.shape[^1]).to_type(ScalarType.Float32), tensor(batch.Targets, device: Device),
            ignore_index: BltBatch.IgnoreIndex, reduction: nn.Reduction.Sum).item<float>();
        return total / (scored * Math.Log(2));
    }
}
