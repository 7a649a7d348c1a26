using MLNetExt.ModernBert.Tokenization;
using MLNetExt.Training;
using MLNetExt.Training.Objectives;
using MLNetExt.Training.Packing;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.ModernBert.Training;

/// <summary>
/// Masked-language-model training of <see cref="ModernBertForMaskedLM"/> for the <see cref="Trainer{TModel,TBatch}"/>:
/// masking happens per step in <see cref="Prepare"/>, shards are whole sequences balanced by token count, and only
/// the masked positions go through the prediction head and the vocabulary projection (sparse prediction).
/// Batches come in unmasked (<see cref="Unmasked"/>); <see cref="TextBatches"/> makes them from texts.
/// </summary>
public sealed class ModernBertMaskedLmTask : ITrainingTask<ModernBertForMaskedLM, MaskedBatch>, IPlannedTask<ModernBertForMaskedLM, MaskedBatch>
{
    readonly ModernBertConfig _config;
    readonly MlmMaskingOptions _masking;
    readonly string? _initialWeights;

    /// <param name="config">The model's shape; every token id of the data must be below its vocab_size.</param>
    /// <param name="masking">Mask id, the vocabulary random replacements come from, special ids, rates.</param>
    /// <param name="initialWeights">
    /// A <c>model.safetensors</c> (or a Hugging Face folder holding one) loaded over the fresh initialisation, e.g. to
    /// continue MLM on a pretrained checkpoint; tensors the file lacks keep their initialisation. Null trains from scratch.
    /// </param>
    public ModernBertMaskedLmTask(ModernBertConfig config, MlmMaskingOptions masking, string? initialWeights = null)
    {
        _config = config.Validate();
        if (masking.VocabSize > config.VocabSize)
            throw new ArgumentException($"Masking draws random tokens from a vocabulary of {masking.VocabSize}, larger than the model's vocab_size {config.VocabSize}.", nameof(masking));
        if (masking.MaskTokenId < 0 || masking.MaskTokenId >= config.VocabSize)
            throw new ArgumentException($"The mask token id {masking.MaskTokenId} is outside the model's vocabulary [0, {config.VocabSize}).", nameof(masking));
        _masking = masking;
        _initialWeights = initialWeights is null ? null
            : Directory.Exists(initialWeights) ? Path.Combine(initialWeights, ModernBertCheckpoint.WeightsFile) : initialWeights;
        if (_initialWeights is not null && !File.Exists(_initialWeights))
            throw new FileNotFoundException($"Initial weights {_initialWeights} do not exist.", _initialWeights);
    }

    /// <summary>The task for <paramref name="config"/> with masking from <paramref name="tokenizer"/>'s [MASK] and special tokens.</summary>
    public static ModernBertMaskedLmTask ForTokenizer(ModernBertConfig config, ModernBertTokenizer tokenizer, double maskProbability = 0.3, string? initialWeights = null) =>
        new(config, MaskingFor(tokenizer, maskProbability), initialWeights);

    /// <summary>BERT's 80/10/10 corruption at <paramref name="maskProbability"/>, never touching the tokenizer's special tokens.</summary>
    public static MlmMaskingOptions MaskingFor(ModernBertTokenizer tokenizer, double maskProbability = 0.3) => new(
        tokenizer.MaskId, tokenizer.VocabSize,
        Enumerable.Range(0, tokenizer.VocabSize).Where(tokenizer.IsSpecial).Select(id => (long)id).ToHashSet(),
        maskProbability);

    /// <summary>Packed batches as this task's input: the trainer masks them afresh every step.</summary>
    public static IReadOnlyList<MaskedBatch> Unmasked(IEnumerable<PackedBatch> batches) =>
        batches.Select(b => new MaskedBatch(b, b.TokenIds, [], [], [])).ToList();

    public ModernBertConfig Config => _config;

    public ModernBertForMaskedLM CreateModel(Device device)
    {
        var model = new ModernBertForMaskedLM(_config);
        if (_initialWeights is not null) ModernBertCheckpoint.LoadWeights(model, _initialWeights, strict: false);
        return model.to(device);
    }

    public long CountTokens(MaskedBatch batch) => batch.Batch.TokenCount;

    public MaskedBatch Prepare(MaskedBatch batch, Random rng) => MlmMasking.Apply(batch.Batch, _masking, rng);

    public IReadOnlyList<MaskedBatch> Split(MaskedBatch batch, int parts) => batch.Split(parts);

    public ShardLoss Loss(ModernBertForMaskedLM model, MaskedBatch shard, Device device) =>
        ((IPlannedTask<ModernBertForMaskedLM, MaskedBatch>)this).Loss(model, Plan(shard), device);

    /// <summary>The corrupted input packed and planned on the host, with the label positions and ids in the same upload.</summary>
    object Plan(MaskedBatch shard) => shard.LabelPositions.Length == 0 ? NoLabels
        // Throw rather than truncate: cutting a sequence would shift the label positions.
        : new PackedPlan(shard.Batch, _config, LongInputPolicy.Throw, shard.InputIds, shard.LabelPositions.Select(p => (long)p).ToArray(), shard.LabelIds);

    object IPlannedTask<ModernBertForMaskedLM, MaskedBatch>.Plan(MaskedBatch shard) => Plan(shard);

    static readonly object NoLabels = new();

    ShardLoss IPlannedTask<ModernBertForMaskedLM, MaskedBatch>.Loss(ModernBertForMaskedLM model, object plan, Device device)
    {
        if (plan is not PackedPlan packed) return new ShardLoss(zeros(1, device: device).sum(), 0);
        using var input = new PackedInput(packed, device);
        var logits = model.call(input, input.Extra(0)); // [P, V] at the label positions
        return Losses.CrossEntropy(logits, input.Extra(1));
    }

    /// <summary>
    /// 6·N_non-embedding + 12·L·S·d, with S the keys a token attends to in each layer (its sequence length in global
    /// layers, at most the window in local ones) averaged over tokens, plus 6·(d² + d·V) for the head and decoder
    /// scaled by the share of tokens that are masked, since only those rows run through them.
    /// </summary>
    public double FlopsPerToken(MaskedBatch batch)
    {
        double d = _config.HiddenSize, tokens = batch.Batch.TokenCount;
        double attention = 0;
        for (int layer = 0; layer < _config.NumHiddenLayers; layer++)
        {
            bool global = _config.LayerType(layer) == AttentionKind.Global;
            for (int s = 0; s < batch.Batch.Count; s++)
            {
                long n = batch.Batch.Length(s);
                attention += n * (double)(global ? n : Math.Min(n, _config.LocalAttention + 1));
            }
        }
        double head = 6 * (d * d + d * _config.VocabSize) * batch.LabelPositions.Length / tokens;
        return 6.0 * _config.NonEmbeddingParameterCount() + 12 * d * attention / tokens + head;
    }
}
