using MLNetExt.Training;
using MLNetExt.Training.Parallel;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.Blt.Training;

/// <summary>Documents (BOS + bytes) and their class indices.</summary>
public sealed record BltClassificationBatch(IReadOnlyList<long[]> Documents, long[] Classes)
{
    /// <summary>
    /// Consecutive documents cut into batches of at most <paramref name="rowsPerBatch"/> documents and
    /// <paramref name="batchBytes"/> ids, so a step's memory follows its bytes (a longer document goes alone).
    /// </summary>
    public static IReadOnlyList<BltClassificationBatch> Chunk(IReadOnlyList<long[]> documents, IReadOnlyList<long> classes, int rowsPerBatch, int batchBytes)
    {
        if (documents.Count != classes.Count) throw new ArgumentException($"{documents.Count} documents but {classes.Count} classes.", nameof(classes));
        if (rowsPerBatch < 1) throw new ArgumentOutOfRangeException(nameof(rowsPerBatch), rowsPerBatch, "A batch needs at least one row.");
        if (batchBytes < 1) throw new ArgumentOutOfRangeException(nameof(batchBytes), batchBytes, "The batch byte budget must be positive.");
        var batches = new List<BltClassificationBatch>();
        for (int start = 0; start < documents.Count;)
        {
            int end = start + 1;
            long bytes = documents[start].Length;
            while (end < documents.Count && end - start < rowsPerBatch && bytes + documents[end].Length <= batchBytes) bytes += documents[end++].Length;
            batches.Add(new BltClassificationBatch(documents.Skip(start).Take(end - start).ToArray(), classes.Skip(start).Take(end - start).ToArray()));
            start = end;
        }
        return batches;
    }
}

/// <summary>
/// Fine-tunes (or trains) <see cref="BltForSequenceClassification"/>: cross-entropy of the pooled-latent head, summed
/// over documents, which run in buckets of similar length. Data parallel shards cut between documents with nearly
/// equal byte counts.
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
        // One forward per bucket of similar lengths: a long document never makes the short ones pad to its length.
        var sum = LengthBuckets.Of(shard.Documents.Select(d => d.Length).ToArray()).Select(rows =>
        {
            var logits = model.forward(BltBatch.ForInference(rows.Select(r => shard.Documents[r]).ToArray()));   // (rows, classes)
            var classes = tensor(rows.Select(r => shard.Classes[r]).ToArray(), device: device);
            return nn.functional.cross_entropy(logits.to_type(ScalarType.Float32), classes, reduction: nn.Reduction.Sum);
        }).Aggregate((a, b) => a.Plus(b));
        return new ShardLoss(sum, shard.Documents.Count);
    }

    /// <summary>6 FLOPs per trainable parameter per byte: a rough count (the encoder runs per byte, the latent model per patch).</summary>
    public double FlopsPerToken(BltClassificationBatch batch) => 6.0 * (_trainable ?? 0);

    long? _trainable;
}
