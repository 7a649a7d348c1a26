using MLNetExt.Training;

namespace MLNetExt.ModernBert.Training;

/// <summary>
/// An MLM pretraining run from scratch, as <see cref="MaskedLmPretraining.Run"/> takes it and saves it beside the run
/// (options.json), so <see cref="MaskedLmPretraining.Resume"/> can continue it.
/// </summary>
public sealed record MaskedLmPretrainingOptions
{
    /// <summary>A text file, a folder of .txt files (each file one document), or "spam" / "moby-dick" (fetched once).</summary>
    public required string Data { get; init; }
    /// <summary>Run folder: options.json, metrics.jsonl, loss.png, checkpoints/ and, at the end, final/ (a Hugging Face folder).</summary>
    public required string OutputDirectory { get; init; }
    /// <summary>"tiny", "small", "base" or a config.json path (see <see cref="PretrainingConfigs.Resolve"/>).</summary>
    public string Config { get; init; } = "tiny";
    /// <summary>A tokenizer.json; null or "gpt2" means <see cref="Tokenization.ModernBertTokenizer.CreateDefault"/>.</summary>
    public string? Tokenizer { get; init; }
    /// <summary>One replica per entry: "cpu" (may repeat), "cuda:0", ...</summary>
    public IReadOnlyList<string> Devices { get; init; } = ["cpu"];
    public TrainingPrecision Precision { get; init; } = TrainingPrecision.Float32;
    public int Steps { get; init; } = 1000;
    /// <summary>Tokens per optimizer step (packed, no padding).</summary>
    public int BatchTokens { get; init; } = 8192;
    /// <summary>Longest sequence, [CLS] and [SEP] included; longer documents are cut into consecutive chunks.</summary>
    public int MaxSequenceLength { get; init; } = 512;
    public double LearningRate { get; init; } = 1e-3;
    /// <summary>Linear warm-up steps; the rate then stays flat and decays linearly over the last 10% (ModernBERT's trapezoid).</summary>
    public int WarmupSteps { get; init; } = 100;
    public double MaskProbability { get; init; } = 0.3;
    public int Seed { get; init; }
    /// <summary>Steps between checkpoints; 0 saves none (except when a stop interrupts the run, so it can resume).</summary>
    public int CheckpointEvery { get; init; } = 100;
    /// <summary>Console progress (the command line turns it on); off, progress goes only to the IProgress given to Run.</summary>
    public bool ShowProgress { get; init; }
}
