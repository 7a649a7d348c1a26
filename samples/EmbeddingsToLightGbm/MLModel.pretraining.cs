using MLNetExt.ModernBert;
using MLNetExt.ModernBert.MLNet;
using MLNetExt.ModernBert.Training;
using MLNetExt.Training;
using MLNetExt.Training.Objectives;
using MLNetExt.Training.Schedules;

namespace EmbeddingsToLightGbm;

public partial class MLModel
{
    /// <summary>
    /// The encoder pre-trained here: ModernBERT's tiny shape (2 layers, hidden 64) with the default GPT-2 tokenizer,
    /// sized so masked-LM pre-training on a few thousand emails takes minutes on a laptop CPU.
    /// </summary>
    public static ModernBertSource EncoderSource { get; set; } = ModernBertSource.FromScratch(ModernBertSize.Tiny);

    /// <summary>
    /// Masked-language-model pre-training of <see cref="EncoderSource"/> on the first <see cref="MaxLength"/> tokens'
    /// worth of each text (about four characters a token), saved as a Hugging Face folder for
    /// <see cref="BuildPipeline"/>. Unlabelled text only: the labels never reach the encoder.
    /// </summary>
    /// <param name="steps">Optimizer steps of 4,096 tokens (batches are reshuffled every pass); null makes one pass over the texts.</param>
    public static void PretrainEncoder(IEnumerable<string> texts, string folder, int? steps = null, double learningRate = 1e-3)
    {
        var (config, tokenizer) = EncoderSource.Resolve();
        var batches = ModernBertMaskedLmTask.Unmasked(TextBatches.Pack(tokenizer, texts.Select(t => t[..Math.Min(t.Length, 4 * MaxLength)]),
            batchTokens: 4096, maxSequenceLength: MaxLength));
        long total = steps ?? batches.Count;
        var options = new TrainerOptions
        {
            Schedule = new WarmupLinear(learningRate, WarmupSteps: total / 10, TotalSteps: total),
            Precision = TrainingPrecision.BFloat16,
            Seed = 1,
            Resume = false,
            LogEvery = 5,
        };
        using var trainer = new Trainer<ModernBertForMaskedLM, MaskedBatch>(ModernBertMaskedLmTask.ForTokenizer(config, tokenizer), options);
        trainer.Fit(batches);
        ModernBertCheckpoint.Save(trainer.Model, folder);
        tokenizer.Save(Path.Combine(folder, "tokenizer.json"));
    }
}
