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
    public static void PretrainEncoder(IEnumerable<string> texts, string folder, int epochs = 1, double learningRate = 1e-3)
    {
        var (config, tokenizer) = EncoderSource.Resolve();
        var batches = ModernBertMaskedLmTask.Unmasked(TextBatches.Pack(tokenizer, texts.Select(t => t[..Math.Min(t.Length, 4 * MaxLength)]),
            batchTokens: 8192, maxSequenceLength: MaxLength));
        long steps = (long)batches.Count * epochs;
        var options = new TrainerOptions
        {
            Schedule = new WarmupLinear(learningRate, WarmupSteps: steps / 10, TotalSteps: steps),
            Precision = TrainingPrecision.BFloat16,
            Seed = 1,
            Resume = false,
            LogEvery = 20,
        };
        using var trainer = new Trainer<ModernBertForMaskedLM, MaskedBatch>(ModernBertMaskedLmTask.ForTokenizer(config, tokenizer), options);
        trainer.Fit(batches);
        ModernBertCheckpoint.Save(trainer.Model, folder);
        tokenizer.Save(Path.Combine(folder, "tokenizer.json"));
    }
}
