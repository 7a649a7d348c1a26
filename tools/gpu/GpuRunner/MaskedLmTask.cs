using MLNetExt.ModernBert;
using MLNetExt.Training;
using MLNetExt.Training.Objectives;
using MLNetExt.Training.Packing;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.GpuRunner;

/// <summary>
/// Masked-LM training of <see cref="ModernBertForMaskedLM"/> on batches masked up front (so a speed run times the
/// model, not the masking), on one device. The model starts from <paramref name="checkpoint"/> when given, else
/// from a fresh initialisation; either way it is built on the CPU and moved, so every device starts from the same weights.
/// </summary>
public sealed class MaskedLmTask(ModernBertConfig config, Func<PackedBatch, long, double> trainingFlops, string? checkpoint = null)
    : ITrainingTask<ModernBertForMaskedLM, MaskedBatch>
{
    public ModernBertForMaskedLM CreateModel(Device device)
    {
        var model = checkpoint is null ? new ModernBertForMaskedLM(config) : ModernBertCheckpoint.Load(checkpoint, c => new ModernBertForMaskedLM(c));
        model.to(device);
        return model;
    }

    public long CountTokens(MaskedBatch batch) => batch.Batch.TokenCount;

    public IReadOnlyList<MaskedBatch> Split(MaskedBatch batch, int parts) =>
        parts == 1 ? [batch] : throw new ArgumentException($"MaskedLmTask trains on one device; the trainer asked for {parts} shards.", nameof(parts));

    public ShardLoss Loss(ModernBertForMaskedLM model, MaskedBatch batch, Device device)
    {
        var corrupted = PackedBatch.FromSequences(Enumerable.Range(0, batch.Batch.Count)
            .Select(i => batch.InputIds[batch.Batch.Offsets[i]..batch.Batch.Offsets[i + 1]]).ToArray(), batch.Batch.SourceRows);
        var input = PackedInput.Create(corrupted, config, device);
        var positions = tensor(batch.LabelPositions.Select(p => (long)p).ToArray(), device: device); // [P]
        var logits = model.call(input, positions); // [P, V]
        var sum = nn.functional.cross_entropy(logits.to(float32), tensor(batch.LabelIds, device: device), reduction: nn.Reduction.Sum);
        return new ShardLoss(sum, batch.LabelIds.Length);
    }

    public double FlopsPerToken(MaskedBatch batch) => trainingFlops(batch.Batch, batch.LabelIds.Length) / batch.Batch.TokenCount;
}
