using MLNetExt.Training;
using MLNetExt.Training.Parallel;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.Blt.Training;

/// <summary>Documents (BOS + bytes) and their class indices, one row each.</summary>
public sealed record BltClassificationBatch(IReadOnlyList<long[]> Documents, long[] Classes)
{
    public static IReadOnlyList<BltClassificationBatch> Chunk(IReadOnlyList<long[]> documents, IReadOnlyList<long> classes, int rowsPerBatch) =>
        Enumerable.Range(0, (documents.Count + rowsPerBatch - 1) / rowsPerBatch)
            .Select(b => Enumerable.Range(b * rowsPerBatch, Math.Min(rowsPerBatch, documents.Count - (b * rowsPerBatch))).ToArray())
            .Select(rows => new BltClassificationBatch(rows.Select(r => documents[r]).ToArray(), rows.Select(r => classes[r]).ToArray()))
            .ToList();
}

/// <summary>
/// Fine-tunes (or trains) <see cref="BltForSequenceClassification"/>: cross-entropy of the pooled-latent head, summed
/// over documents. Data parallel shards cut between documents with nearly equal byte counts.
/// </summary>
public sealed class BltClassificationTask(BltConfig config, int classes, BltModel? pretrained) : ITrainingTask<BltForSequenceClassification, BltClassificationBatch>
{
    public BltForSequenceClassification CreateModel(Device device)
    {
        var model = new BltForSequenceClassification(config, classes);
        if (pretrained is not null)
        {
            using var _ = no_grad();
            var source = pretrained.state_dict();
            foreach (var (name, p) in model.Blt.state_dict()) p.copy_(source[name]);
        }
        _trainable ??= model.parameters().Where(p => p.requires_grad).Sum(p => p.numel());
        return model.to(device);
    }

    public long CountTokens(BltClassificationBatch batch) => batch.Documents.Sum(d => (long)d.Length);

    public IReadOnlyList<BltClassificationBatch> Split(BltClassificationBatch batch, int parts)
    {
        var cuts = TokenBalance.Boundaries(batch.Documents.Select(d => d.Length).ToArray(), parts);
        return Enumerable.Range(0, parts).Select(k => new BltClassificationBatch(
            batch.Documents.Take(cuts[k + 1]).Skip(cuts[k]).ToArray(), batch.Classes[cuts[k]..cuts[k + 1]])).ToArray();
    }

    public ShardLoss Loss(BltForSequenceClassification model, BltClassificationBatch shard, Device device)
    {
        if (shard.Documents.Count == 0) return new ShardLoss(zeros(1, device: device).sum(), 0);
        var logits = model.forward(BltBatch.ForInference(shard.Documents));                     // (B, classes)
        var sum = nn.functional.cross_entropy(logits.to_type(ScalarType.Float32), tensor(shard.Classes, device: device), reduction: nn.Reduction.Sum);
        return new ShardLoss(sum, shard.Documents.Count);
    }

    /// <summary>6 FLOPs per trainable parameter per byte: a rough count (the encoder runs per byte, the latent model per patch).</summary>
    public double FlopsPerToken(BltClassificationBatch batch) => 6.0 * (_trainable ?? 0);

    long? _trainable;
}
