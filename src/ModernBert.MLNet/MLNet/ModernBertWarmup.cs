using MLNetExt.ModernBert.Tokenization;
using MLNetExt.ModernBert.Training;
using MLNetExt.Training.MLNet;

namespace MLNetExt.ModernBert.MLNet;

/// <summary>Masked-language-model pre-training on the training text before fine-tuning (<see cref="ModernBertSource.MaskedLmEpochs"/>).</summary>
static class ModernBertWarmup
{
    /// <summary>The encoder after the warm-up on <paramref name="texts"/>, or null when none is asked for.</summary>
    public static ModernBertModel? Encoder(TrainingSession session, ModernBertTrainerOptions options, ModernBertConfig config,
        ModernBertTokenizer tokenizer, int maxLength, IEnumerable<string> texts)
    {
        int epochs = options.Model.MaskedLmEpochs;
        if (epochs == 0) return null;
        var task = ModernBertMaskedLmTask.ForTokenizer(config, tokenizer, initialWeights: options.Model.Folder);
        int replicas = ModernBertFineTuning.DeviceNames(session, options).Length;
        var batches = ModernBertMaskedLmTask.Unmasked(TextBatches.Pack(tokenizer, texts, options.TokenBudget, maxLength, replicas));
        var mlm = new ModernBertForMaskedLM(config);
        ModernBertFineTuning.Train(session, options, "MLM warm-up", epochs, options.MaskedLmLearningRate, task, batches, null, mlm);
        return mlm.Model;
    }
}
