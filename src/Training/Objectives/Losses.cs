using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace MLNetExt.Training.Objectives;

/// <summary>Summed losses in the shape <see cref="ITrainingTask{TModel,TBatch}.Loss"/> returns, computed in fp32.</summary>
public static class Losses
{
    /// <summary>Cross-entropy of <paramref name="logits"/> (N, C) against class ids (N), summed over rows.</summary>
    public static ShardLoss CrossEntropy(Tensor logits, Tensor targets) =>
        new(cross_entropy(logits.to_type(ScalarType.Float32), targets, reduction: nn.Reduction.Sum), targets.shape[0]);

    /// <summary>Squared error of predictions (N) or (N, K) against targets of the same shape, summed; counts N·K terms.</summary>
    public static ShardLoss SquaredError(Tensor predictions, Tensor targets) =>
        new(mse_loss(predictions.to_type(ScalarType.Float32), targets.to_type(ScalarType.Float32), reduction: nn.Reduction.Sum), targets.numel());
}
