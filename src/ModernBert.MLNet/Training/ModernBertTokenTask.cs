using MLNetExt.Training;
using MLNetExt.Training.Objectives;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.ModernBert.Training;

/// <summary>Fine-tunes a <see cref="ModernBertForTokenClassification"/>: cross-entropy at the tokens that carry a label.</summary>
/// <param name="createModel">A fresh model; called once, the trainer copies it to every replica.</param>
public sealed class ModernBertTokenTask(ModernBertConfig config, Func<ModernBertForTokenClassification> createModel)
    : ITrainingTask<ModernBertForTokenClassification, TokenBatch>
{
    public ModernBertForTokenClassification CreateModel(Device device) => createModel().to(device);

    public long CountTokens(TokenBatch batch) => batch.TokenCount;

    public IReadOnlyList<TokenBatch> Split(TokenBatch batch, int parts) => batch.Split(parts);

    public ShardLoss Loss(ModernBertForTokenClassification model, TokenBatch shard, Device device)
    {
        var labels = shard.Labels.SelectMany(l => l).ToArray();
        var positions = Enumerable.Range(0, labels.Length).Where(i => labels[i] != MlmMasking.IgnoreIndex).Select(i => (long)i).ToArray();
        if (positions.Length == 0) return new ShardLoss(zeros(1, device: device).sum(), 0);
        using var input = PackedInput.Create(shard.Pack(), config, device);
        var index = tensor(positions, device: device);
        var logits = model.call(input).index_select(0, index);                          // [P, num_labels]
        return Losses.CrossEntropy(logits, tensor(positions.Select(p => labels[p]).ToArray(), device: device));
    }

    public double FlopsPerToken(TokenBatch batch) => ModernBertFlops.PerToken(config, batch.Sequences);
}
