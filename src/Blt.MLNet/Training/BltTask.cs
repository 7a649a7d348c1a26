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

    public ShardLoss Loss(BltModel model, BltBatch shard, Device device) =>
        CountTokens(shard) == 0 ? NextByteLoss.None(device) : NextByteLoss.Sum(model.forward(shard), shard);

    public double FlopsPerToken(BltBatch batch) => FlopsPerByte(batch).Total;

    /// <summary>FLOPs per byte by stage, from the batch's patch layout under the frozen entropy model.</summary>
    public BltFlopsPerByte FlopsPerByte(BltBatch batch) => BltFlops.PerByte(Config, batch, PatchLayout.Create(batch, patcher, entropyModel));
}
