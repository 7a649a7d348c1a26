using MLNetExt.Training;
using static TorchSharp.torch;

namespace MLNetExt.Blt.Training;

/// <summary>The summed next-byte cross-entropy every byte-LM task returns to the trainer.</summary>
static class NextByteLoss
{
    /// <summary>fp32 cross-entropy of logits (B, S, 260) against the batch's targets, summed; counts the scored targets.</summary>
    public static ShardLoss Sum(Tensor logits, BltBatch batch)
    {
        var targets = tensor(batch.Targets, device: logits.device);
        var sum = nn.functional.cross_entropy(logits.view(-1, logits.shape[^1]).to_type(ScalarType.Float32), targets,
            ignore_index: BltBatch.IgnoreIndex, reduction: nn.Reduction.Sum);
        return new ShardLoss(sum, ByteBatches.CountTargets(batch));
    }

    /// <summary>The zero loss of a shard with nothing to score (no forward pass, no gradient).</summary>
    public static ShardLoss None(Device device) => new(zeros(1, device: device).sum(), 0);

    /// <summary>Bits per byte from a mean next-byte loss in nats.</summary>
    public static double BitsPerByte(double natsPerByte) => natsPerByte / Math.Log(2);
}
