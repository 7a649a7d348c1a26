namespace MLNetExt.Blt.Training;

/// <summary>
/// Training FLOPs per byte of a BLT, by stage. The latent (global) model runs once per patch, so its cost per byte is
/// its cost per patch divided by the mean patch size: that is where BLT saves compute over a byte-level transformer.
/// The frozen entropy model only runs forward (a third of its training cost).
/// </summary>
public readonly record struct BltFlopsPerByte(double Entropy, double Encoder, double Latent, double Decoder, double MeanPatchSize)
{
    public double Total => Entropy + Encoder + Latent + Decoder;
}

public static class BltFlops
{
    /// <summary>FLOPs per byte of <paramref name="batch"/> under <paramref name="layout"/> (padding bytes and patches excluded).</summary>
    public static BltFlopsPerByte PerByte(BltConfig config, BltBatch batch, PatchLayout layout)
    {
        var byteLengths = ByteBatches.DocumentLengths(batch).ToArray();
        var patchLengths = PatchesPerDocument(batch, layout);
        double bytes = byteLengths.Sum(), patches = patchLengths.Sum();
        if (bytes == 0) throw new ArgumentException("The batch has no document bytes (only padding).", nameof(batch));
        double patchesPerByte = patches / bytes;
        int k = config.CrossAttnK, vocab = config.VocabSize;

        var p = config.PatcherConfig;
        double entropy = config.PatchInForward && Patching.Patcher.FromConfig(config).NeedsEntropies
            ? ((p.NumHiddenLayers * TransformerFlops.Layer(p.Layer, TransformerFlops.MeanContext(byteLengths, null))) + TransformerFlops.Linear(p.HiddenSize, vocab)) / 3
            : 0;

        // Encoder: byte layers; per cross layer each byte's keys/values are projected and seen by its patch's k queries,
        // and each patch's k queries are projected in and out; pooled patches are projected to k queries once.
        var e = config.EncoderConfig.Layer;
        int encoderCross = config.EncoderConfig.CrossAttnAllLayers ? config.EncoderConfig.NumHiddenLayers : 1;
        double encoder = (config.EncoderConfig.NumHiddenLayers * TransformerFlops.Layer(e, TransformerFlops.MeanContext(byteLengths, config.EncoderConfig.SlidingWindow)))
            + (encoderCross * (KeyValues(e) + TransformerFlops.Attention(e, k)))
            + (patchesPerByte * (TransformerFlops.Linear(e.HiddenSize, k * e.HiddenSize) + (encoderCross * k * QueryOut(e))));

        // Latent: one token per patch, block-causal over the document's patches.
        var g = config.GlobalConfig.Layer;
        double inProjection = config.EncoderCrossOutputSize == g.HiddenSize ? 0 : TransformerFlops.Linear(config.EncoderCrossOutputSize, g.HiddenSize);
        double latent = patchesPerByte * (inProjection + (config.GlobalConfig.NumHiddenLayers * TransformerFlops.Layer(g, TransformerFlops.MeanContext(patchLengths, null))));

        // Decoder: latent states projected to k keys per patch (keys/values projected per cross layer); each byte's query
        // sees its patch's k keys; byte layers; LM head.
        var d = config.DecoderConfig.Layer;
        int decoderCross = config.DecoderConfig.CrossAttnAllLayers ? config.DecoderConfig.NumHiddenLayers : 1;
        double decoder = (patchesPerByte * (TransformerFlops.Linear(g.HiddenSize, k * d.HiddenSize) + (decoderCross * k * KeyValues(d))))
            + (decoderCross * (QueryOut(d) + TransformerFlops.Attention(d, k)))
            + (config.DecoderConfig.NumHiddenLayers * TransformerFlops.Layer(d, TransformerFlops.MeanContext(byteLengths, config.DecoderConfig.SlidingWindow)))
            + TransformerFlops.Linear(d.HiddenSize, vocab);

        return new BltFlopsPerByte(entropy, encoder, latent, decoder, bytes / patches);
    }

    static double KeyValues(LayerShape s) => TransformerFlops.Linear(s.HiddenSize, 2.0 * s.NumKeyValueHeads * s.HeadDim);

    static double QueryOut(LayerShape s) => 2 * TransformerFlops.Linear(s.HiddenSize, s.NumAttentionHeads * s.HeadDim);

    /// <summary>Patches of each real document, rows in order.</summary>
    static int[] PatchesPerDocument(BltBatch batch, PatchLayout layout)
    {
        var counts = new List<int>();
        for (int r = 0; r < batch.Rows; r++)
        {
            var docs = new int[batch.Segments[r].Length];
            for (int q = 0; q < layout.PatchCounts[r]; q++) docs[layout.PatchDocIds[(r * layout.NumPatches) + q]]++;
            counts.AddRange(docs.Where((_, i) => !batch.Segments[r][i].IsPadding));
        }
        return counts.ToArray();
    }
}
