using MLNetExt.Training;
using MLNetExt.Training.Objectives;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.ModernBert.Training;

/// <summary>
/// Fine-tunes a <see cref="ModernBertForSequenceClassification"/>: cross-entropy over classes when the config has
/// several labels, squared error of the single output (e.g. a similarity score) when it has one.
/// </summary>
/// <param name="createModel">A fresh model (random, pretrained or warmed-up weights); called once, the trainer copies it to every replica.</param>
public sealed class ModernBertSequenceTask(ModernBertConfig config, Func<ModernBertForSequenceClassification> createModel)
    : ITrainingTask<ModernBertForSequenceClassification, SequenceBatch>
{
    readonly Func<Tensor, Tensor, ShardLoss> _loss = config.NumLabels == 1
        ? (logits, targets) => Losses.SquaredError(logits.squeeze(1), targets)
        : (logits, targets) => Losses.CrossEntropy(logits, targets.to_type(ScalarType.Int64));

    public ModernBertForSequenceClassification CreateModel(Device device) => createModel().to(device);

    public long CountTokens(SequenceBatch batch) => batch.TokenCount;

    public IReadOnlyList<SequenceBatch> Split(SequenceBatch batch, int parts) => batch.Split(parts);

    public ShardLoss Loss(ModernBertForSequenceClassification model, SequenceBatch shard, Device device)
    {
        if (shard.Sequences.Count == 0) return new ShardLoss(zeros(1, device: device).sum(), 0);
        using var input = PackedInput.Create(shard.Pack(), config, device);
        var logits = model.call(input);                                          // [B, num_labels]
        return _loss(logits, tensor(shard.Targets.ToArray(), device: device));   // targets [B]
    }

    public double FlopsPerToken(SequenceBatch batch) => ModernBertFlops.PerToken(config, batch.Sequences);
}
