using static TorchSharp.torch;

namespace MLNetExt.Training;

/// <summary>
/// Fine-tuning with any task: every model <paramref name="task"/> creates is overwritten with <paramref name="weights"/>
/// (a full state dict of the same model, checked key by key), so training starts from them; the rest is the task's.
/// </summary>
public sealed class WarmStartTask<TModel, TBatch>(ITrainingTask<TModel, TBatch> task, IReadOnlyDictionary<string, Tensor> weights)
    : ITrainingTask<TModel, TBatch> where TModel : nn.Module
{
    public TModel CreateModel(Device device)
    {
        var model = task.CreateModel(device);
        model.load_state_dict(weights.ToDictionary(kv => kv.Key, kv => kv.Value), strict: true);
        return model;
    }

    public long CountTokens(TBatch batch) => task.CountTokens(batch);

    public TBatch Prepare(TBatch batch, Random rng) => task.Prepare(batch, rng);

    public IReadOnlyList<TBatch> Split(TBatch batch, int parts) => task.Split(batch, parts);

    public ShardLoss Loss(TModel model, TBatch shard, Device device) => task.Loss(model, shard, device);

    public double FlopsPerToken(TBatch batch) => task.FlopsPerToken(batch);

    public bool DecaysWeight(string name, Tensor parameter) => task.DecaysWeight(name, parameter);
}
