using MLNetExt.Blt.Modules;
using MLNetExt.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.Blt.Training;

/// <summary>
/// Next-byte LM training of a plain causal byte transformer (<see cref="EntropyModel"/>: embedding, layers, norm, head).
/// It trains BLT's entropy model (<see cref="BltConfig.PatcherConfig"/>) and, sized with <see cref="SameSizeAs"/>, the
/// byte-level baseline BLT is compared against. Tokens are scored bytes (EOS included).
/// </summary>
public sealed class ByteLmTask(BltPatcherConfig config) : ITrainingTask<EntropyModel, BltBatch>
{
    public BltPatcherConfig Config { get; } = config;

    /// <summary>A byte transformer with the latent model's layer shape and depth: BLT's "same global size" baseline.</summary>
    public static BltPatcherConfig SameSizeAs(BltGlobalTransformerConfig global) => new(
        HiddenSize: global.HiddenSize, NumHiddenLayers: global.NumHiddenLayers, NumAttentionHeads: global.NumAttentionHeads,
        NumKeyValueHeads: global.NumKeyValueHeads, RmsNormEps: global.RmsNormEps, IntermediateSize: global.IntermediateSize, RopeTheta: global.RopeTheta);

    public EntropyModel CreateModel(Device device)
    {
        var model = new EntropyModel(Config);
        BltInit.Apply(model);
        return model.to(device);
    }

    public long CountTokens(BltBatch batch) => ByteBatches.CountTargets(batch);

    public IReadOnlyList<BltBatch> Split(BltBatch batch, int parts) => ByteBatches.Split(batch, parts);

    public ShardLoss Loss(EntropyModel model, BltBatch shard, Device device)
    {
        if (CountTokens(shard) == 0) return NextByteLoss.None(device);
        var logits = model.Logits(EntropyModel.Ids(shard.Inputs, shard, device), EntropyModel.Ids(shard.DocIds, shard, device),
            EntropyModel.Ids(shard.Positions, shard, device));                                          // (B, S, 260)
        return NextByteLoss.Sum(logits, shard);
    }

    public double FlopsPerToken(BltBatch batch) => LayerFlopsPerByte(batch) + TransformerFlops.Linear(Config.HiddenSize, Config.VocabSize);

    /// <summary>Training FLOPs per byte of the transformer layers alone (no embedding, no head): the counterpart of BLT's latent FLOPs.</summary>
    public double LayerFlopsPerByte(BltBatch batch) =>
        Config.NumHiddenLayers * TransformerFlops.Layer(Config.Layer, TransformerFlops.MeanContext(ByteBatches.DocumentLengths(batch), null));
}
