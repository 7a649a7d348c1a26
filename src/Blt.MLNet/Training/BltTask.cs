using MLNetExt.Blt.Modules;
using MLNetExt.Blt.Patching;
using MLNetExt.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.Blt.Training;

/// <summary>
/// Next-byte LM training of a BLT. The entropy model, trained beforehand with <see cref="ByteLmTask"/>, is copied into
/// every replica and stays frozen (its parameters have requires_grad = false, so the trainer neither reduces nor
/// updates them); BLT learns the encoder, latent model and decoder on the patches it draws. Tokens are scored bytes.
/// </summary>
public sealed class BltTask : ITrainingTask<BltModel, BltBatch>
{
    readonly EntropyModel? entropyModel;
    readonly Patcher patcher;

    public BltConfig Config { get; }

    /// <param name="config">the BLT shape and patching rule (its threshold already calibrated)</param>
    /// <param name="entropyModel">the trained entropy model; required when the patching mode uses entropies</param>
    public BltTask(BltConfig config, EntropyModel? entropyModel)
    {
        config.Validate();
        patcher = Patcher.FromConfig(config);
        if (patcher.NeedsEntropies && entropyModel is null)
            throw new ArgumentException($"{config.PatchingMode} patching needs a trained entropy model.", nameof(entropyModel));
        if (entropyModel is not null && !config.PatchInForward)
            throw new ArgumentException("An entropy model was given but the config has patch_in_forward = false, so the BLT has none to hold it.", nameof(entropyModel));
        (Config, this.entropyModel) = (config, entropyModel);
    }

    public BltModel CreateModel(Device device)
    {
        var model = new BltModel(Config);
        if (entropyModel is not null) model.EntropyModel!.load_state_dict(entropyModel.state_dict());
        return model.to(device);
    }

    public long CountTokens(BltBatch batch) => ByteBatches.CountTargets(batch);

    public IReadOnlyList<BltBatch> Split(BltBatch batch, int parts) => ByteBatches.Split(batch, parts);

    public ShardLoss Loss(BltModel model, BltBatch shard, Device device)
    {
        if (CountTokens(shard) == 0) return NextByteLoss.None(device);
        var layout = model.Patch(shard);
        if (patcher.NeedsEntropies) Observe(BltFlops.PerByte(Config, shard, layout).Total, ByteBatches.DocumentLengths(shard).Sum());
        return NextByteLoss.Sum(model.Forward(shard, layout), shard);
    }

    /// <summary>
    /// Exact for patching that needs no entropy model. Entropy patching would have to run the entropy model again
    /// just to count, so it reports the byte-weighted mean over the shards trained so far (NaN before the first):
    /// throughput telemetry one step behind, at no cost.
    /// </summary>
    public double FlopsPerToken(BltBatch batch)
    {
        if (!patcher.NeedsEntropies) return FlopsPerByte(batch).Total;
        lock (_observed) return _observed.Bytes == 0 ? double.NaN : _observed.Flops / _observed.Bytes;
    }

    /// <summary>FLOPs per byte by stage, from the batch's patch layout (running the frozen entropy model when patching needs it).</summary>
    public BltFlopsPerByte FlopsPerByte(BltBatch batch)
    {
        using var scope = NewDisposeScope();
        return BltFlops.PerByte(Config, batch, PatchLayout.Create(batch, patcher, entropyModel));
    }

    void Observe(double flopsPerByte, long bytes)
    {
        lock (_observed) (_observed.Flops, _observed.Bytes) = (_observed.Flops + (flopsPerByte * bytes), _observed.Bytes + bytes);
    }

    readonly Observed _observed = new();

    /// <summary>FLOPs and bytes of the shards trained so far (replicas add to it concurrently).</summary>
    sealed class Observed
    {
        public double Flops;
        public long Bytes;
    }
}
