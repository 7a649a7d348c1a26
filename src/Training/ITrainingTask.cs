using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.Training;

/// <summary>
/// A model together with its objective: everything the model-agnostic <see cref="Trainer{TModel,TBatch}"/> needs.
/// Heads own their loss, so the trainer never switches on the kind of task.
/// </summary>
/// <typeparam name="TModel">The module trained; its state_dict names are the checkpoint keys.</typeparam>
/// <typeparam name="TBatch">One micro-batch as the data pipeline produces it (e.g. a packed batch plus labels).</typeparam>
public interface ITrainingTask<TModel, TBatch> where TModel : nn.Module
{
    /// <summary>
    /// Builds a freshly initialised fp32 model on <paramref name="device"/>. The trainer seeds torch before the first
    /// call and copies the first model's weights into every later replica, so only the first initialisation matters.
    /// </summary>
    TModel CreateModel(Device device);

    /// <summary>Tokens in <paramref name="batch"/>: the unit of throughput, MFU and shard balancing.</summary>
    long CountTokens(TBatch batch);

    /// <summary>
    /// Applies per-step randomness (e.g. MLM masking) to a whole micro-batch before it is split, so the result does
    /// not depend on the number of replicas. <paramref name="rng"/> is derived from (seed, step, micro-batch), which
    /// makes resumed runs replay it exactly. The default returns the batch unchanged.
    /// </summary>
    TBatch Prepare(TBatch batch, Random rng) => batch;

    /// <summary>
    /// Splits a prepared batch into exactly <paramref name="parts"/> shards of roughly equal token count (one per
    /// replica). A shard may be empty only if the batch has fewer units than parts; <see cref="Loss"/> must then
    /// return a zero sum with count 0.
    /// </summary>
    IReadOnlyList<TBatch> Split(TBatch batch, int parts);

    /// <summary>
    /// Forward pass and loss of one shard on <paramref name="model"/>, whose parameters live on
    /// <paramref name="device"/> (move the shard there). Returns the loss SUMMED over the shard's loss terms
    /// (masked tokens, sequences, ...) and how many terms there were; the trainer divides the summed gradient by the
    /// global count, so any sharding gives exactly the full-batch mean-loss gradient. Compute the loss in fp32 even
    /// when the model runs in bf16.
    /// </summary>
    ShardLoss Loss(TModel model, TBatch shard, Device device);

    /// <summary>Training FLOPs (forward + backward) per token of <paramref name="batch"/>, e.g. 6·N + 12·L·S·d.</summary>
    double FlopsPerToken(TBatch batch);

    /// <summary>Whether AdamW's decoupled weight decay applies to a parameter. Default: <see cref="Optim.WeightDecayRule.Default"/>.</summary>
    bool DecaysWeight(string name, Tensor parameter) => Optim.WeightDecayRule.Default(name, parameter);
}

/// <summary>A shard's loss summed over its <paramref name="Count"/> loss terms (a scalar with grad).</summary>
public readonly record struct ShardLoss(Tensor Sum, long Count);
