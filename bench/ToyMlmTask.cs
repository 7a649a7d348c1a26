using MLNetExt.Training;
using MLNetExt.Training.Objectives;
using MLNetExt.Training.Packing;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.Bench;

/// <summary>MLM on fixed-length packed sequences for <see cref="ToyEncoder"/>: masking in Prepare, loss on masked rows only.</summary>
sealed class ToyMlmTask(ToyEncoderConfig config, int sequenceLength) : ITrainingTask<ToyEncoder, MaskedBatch>
{
    const long Mask = 4;
    readonly MlmMaskingOptions _masking = new(Mask, config.VocabSize, [0, 1, 2, 3, Mask]);

    public ToyEncoder CreateModel(Device device) => new ToyEncoder(config).to(device);

    public long CountTokens(MaskedBatch batch) => batch.Batch.TokenCount;

    public MaskedBatch Prepare(MaskedBatch batch, Random rng) => MlmMasking.Apply(batch.Batch, _masking, rng);

    public IReadOnlyList<MaskedBatch> Split(MaskedBatch batch, int parts) => batch.Split(parts);

    public ShardLoss Loss(ToyEncoder model, MaskedBatch shard, Device device)
    {
        var ids = tensor(shard.InputIds, device: device).view(-1, sequenceLength); // (B, S)
        var logits = model.forward(ids, tensor(shard.LabelPositions.Select(p => (long)p).ToArray(), device: device));
        return Losses.CrossEntropy(logits, tensor(shard.LabelIds, device: device));
    }

    /// <summary>6·N (non-embedding) + 12·L·S·d: the usual transformer training estimate.</summary>
    public double FlopsPerToken(MaskedBatch batch)
    {
        double d = config.Hidden, perLayer = 4 * d * d + 2 * d * config.Intermediate;
        return 6 * (config.Layers * perLayer + d * config.VocabSize) + 12.0 * config.Layers * sequenceLength * d;
    }

    /// <summary>Unmasked batches of random tokens; the trainer masks them each step.</summary>
    public static List<MaskedBatch> RandomBatches(int count, int sequences, int length, int vocab, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var packed = PackedBatch.FromSequences(Enumerable.Range(0, sequences)
                .Select(_ => Enumerable.Range(0, length).Select(_ => rng.NextInt64(5, vocab)).ToArray()).ToList());
            return new MaskedBatch(packed, packed.TokenIds, [], [], []);
        }).ToList();
    }
}
