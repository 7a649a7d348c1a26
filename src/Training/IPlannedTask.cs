using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.Training;

/// <summary>
/// A task whose per-shard host work (packing, attention planning, filling the upload buffer) needs neither torch nor
/// the model. The trainer plans the next micro-batch on a worker thread while the device runs the current one, then
/// hands the plan to <see cref="Loss"/>; plain <see cref="ITrainingTask{TModel,TBatch}.Loss"/> must equal Plan + Loss.
/// </summary>
internal interface IPlannedTask<TModel, TBatch> where TModel : nn.Module
{
    /// <summary>Host-only work for a prepared shard; thread-safe, makes no torch calls.</summary>
    object Plan(TBatch shard);

    /// <summary>Forward pass and summed loss of a planned shard (consumes the plan).</summary>
    ShardLoss Loss(TModel model, object plan, Device device);
}
