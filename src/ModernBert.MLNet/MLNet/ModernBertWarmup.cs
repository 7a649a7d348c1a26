using MLNetExt.ModernBert.Tokenization;
using MLNetExt.ModernBert.Training;
using MLNetExt.Training.MLNet;
using MLNetExt.Training.Packing;

namespace MLNetExt.ModernBert.MLNet;

/// <summary>Masked-language-model pre-training on the training rows before fine-tuning (<see cref="ModernBertSource.MaskedLmEpochs"/>).</summary>
static class ModernBertWarmup
{
    public const string Phase = "masked-LM warm-up", Folder = "masked-lm-warmup";

    /// <summary>
    /// The MLM model after the warm-up (its <c>Model</c> is the encoder to fine-tune; the caller disposes it), or null
    /// when none is asked for. It reads <paramref name="sequences"/>, the training rows exactly as fine-tuning sees
    /// them (same tokens, same truncation), so it costs about as much as one fine-tuning epoch plus the masked
    /// tokens' vocabulary projection.
    /// </summary>
    public static ModernBertForMaskedLM? Run(TrainingSession session, ModernBertTrainerOptions options, ModernBertConfig config,
        ModernBertTokenizer tokenizer, IReadOnlyList<long[]> sequences, IReadOnlyDictionary<string, string> fingerprint)
    {
        int epochs = options.Model.MaskedLmEpochs;
        if (epochs == 0) return null;
        var task = ModernBertMaskedLmTask.ForTokenizer(config, tokenizer, initialWeights: options.Model.Folder);
        var batches = ModernBertMaskedLmTask.Unmasked(Packer.BestFit(sequences.Select(s => s.Length).ToArray(), options.TokenBudget)
            .Select(rows => PackedBatch.FromSequences(rows.Select(r => sequences[r]).ToList(), rows)));
        session.Report($"{Phase} data: {batches.Count} batches, {batches.Sum(b => (long)b.Batch.TokenCount)} tokens.");
        var phase = new TrainingPhase(Phase, Folder, epochs, options.MaskedLmLearningRate,
            new Dictionary<string, string>(fingerprint) { ["task"] = $"{fingerprint["task"]}, {Phase}" });
        return session.Train(phase, task, batches, null, () => new ModernBertForMaskedLM(config));
    }
}
