using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetExt.Blt;

/// <summary>
/// BLT as a text classifier: patch → hash embeddings → local encoder → global transformer, then the mean of each row's
/// latent patch states (<see cref="PooledLatents"/>) through one linear layer. The local decoder and lm_head are kept
/// (so a BLT folder loads whole) but not run, hence frozen. Parameters: <c>blt.*</c> (HF keys) and <c>classifier.*</c>.
/// </summary>
public sealed class BltForSequenceClassification : nn.Module<BltBatch, Tensor>
{
    readonly BltModel blt;
    readonly Linear classifier;

    public BltConfig Config => blt.Config;
    public int Classes { get; }

    public BltForSequenceClassification(BltConfig config, int classes) : base(nameof(BltForSequenceClassification))
    {
        if (classes < 2) throw new ArgumentOutOfRangeException(nameof(classes), classes, "A classifier needs at least 2 classes.");
        Classes = classes;
        blt = new BltModel(config);
        classifier = nn.Linear(config.GlobalConfig.HiddenSize, classes);
        RegisterComponents();
        foreach (var p in blt.Backbone.local_decoder.parameters().Concat(blt.LmHead.parameters())) p.requires_grad = false;
    }

    /// <summary>The BLT inside (its parameters are this module's <c>blt.*</c>).</summary>
    public BltModel Blt => blt;

    /// <summary>Class logits (B, classes), one row per document of an inference batch.</summary>
    public override Tensor forward(BltBatch batch) => classifier.forward(PooledLatents(blt, batch));

    /// <summary>Mean latent patch state of each row (B, Dg), over the patches of the row's documents (placeholders excluded; padding forms none).</summary>
    public static Tensor PooledLatents(BltModel model, BltBatch batch)
    {
        var layout = model.Patch(batch);
        var (_, latent) = model.Encode(batch, layout);                                                      // (B, P, Dg)
        var real = new float[batch.Rows * layout.NumPatches];
        for (int r = 0; r < batch.Rows; r++) real.AsSpan(r * layout.NumPatches, layout.PatchCounts[r]).Fill(1);   // placeholders stay 0
        var mask = tensor(real, [batch.Rows, layout.NumPatches, 1], device: latent.device).to_type(latent.dtype);   // (B, P, 1)
        return (latent * mask).sum(1) / mask.sum(1);                                                         // (B, Dg)
    }
}
