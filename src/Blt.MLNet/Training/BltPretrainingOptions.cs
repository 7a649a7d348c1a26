using MLNetExt.Training;

namespace MLNetExt.Blt.Training;

/// <summary>
/// Everything <see cref="BltPretraining.Run"/> needs; each property is one command-line flag (named in its summary).
/// The model shape comes from <see cref="ConfigFile"/> when given (its threshold is recalibrated), otherwise from the
/// size properties, which describe a small CPU-trainable BLT.
/// </summary>
public sealed record BltPretrainingOptions
{
    /// <summary>--output: folder for entropy-model/ and blt/ (trainer metrics, loss.png, checkpoints), model/ (HF layout), entropy.png, summary.json.</summary>
    public required string OutputDirectory { get; init; }
    /// <summary>--text: a UTF-8 text file to train on; omitted, Moby Dick (fetched once via npm) chapter by chapter.</summary>
    public string? TextFile { get; init; }
    /// <summary>--held-out: fraction of the text, taken from its end (Moby Dick: the last chapters), scored for bits per byte.</summary>
    public double HeldOutFraction { get; init; } = 0.05;
    /// <summary>--train-bytes: train on at most this many characters from the start of the training text; 0 uses it all.</summary>
    public int TrainBytes { get; init; }

    /// <summary>--sequence-length: bytes per row; longer texts are cut into documents of this many bytes.</summary>
    public int SequenceLength { get; init; } = 512;
    /// <summary>--batch-bytes: input bytes per optimizer step (whole rows, at least one).</summary>
    public int BatchBytes { get; init; } = 8192;

    /// <summary>--entropy-steps: optimizer steps for the entropy model.</summary>
    public int EntropySteps { get; init; } = 300;
    /// <summary>--entropy-lr: peak learning rate of the entropy model.</summary>
    public double EntropyLearningRate { get; init; } = 3e-3;
    /// <summary>--steps: optimizer steps for the BLT.</summary>
    public int Steps { get; init; } = 600;
    /// <summary>--lr: peak learning rate of the BLT.</summary>
    public double LearningRate { get; init; } = 2e-3;
    /// <summary>--warmup: warm-up steps of both cosine schedules.</summary>
    public int WarmupSteps { get; init; } = 30;
    /// <summary>--weight-decay: AdamW decoupled weight decay (matrices only).</summary>
    public double WeightDecay { get; init; } = 0.1;

    /// <summary>--patch-size: mean patch size (bytes) the entropy threshold is calibrated to, on training documents.</summary>
    public double TargetPatchSize { get; init; } = 4.5;
    /// <summary>--max-patch-length: close any patch that reaches this many bytes; omitted, no limit.</summary>
    public int? MaxPatchLength { get; init; }
    /// <summary>--calibration-documents: training documents the threshold is calibrated on.</summary>
    public int CalibrationDocuments { get; init; } = 64;

    /// <summary>--config: an HF BLT config.json giving the whole shape; overrides the size flags below.</summary>
    public string? ConfigFile { get; init; }
    /// <summary>--entropy-hidden: width of the entropy model.</summary>
    public int EntropyHiddenSize { get; init; } = 128;
    /// <summary>--entropy-layers: layers of the entropy model.</summary>
    public int EntropyLayers { get; init; } = 2;
    /// <summary>--local-hidden: width of the local encoder and decoder.</summary>
    public int LocalHiddenSize { get; init; } = 128;
    /// <summary>--encoder-layers: byte layers of the local encoder.</summary>
    public int EncoderLayers { get; init; } = 1;
    /// <summary>--decoder-layers: byte layers of the local decoder.</summary>
    public int DecoderLayers { get; init; } = 2;
    /// <summary>--local-window: sliding attention window of the local models in bytes; omitted, the whole document.</summary>
    public int? LocalWindow { get; init; }
    /// <summary>--global-hidden: width of the latent transformer.</summary>
    public int GlobalHiddenSize { get; init; } = 256;
    /// <summary>--global-layers: layers of the latent transformer.</summary>
    public int GlobalLayers { get; init; } = 4;
    /// <summary>--hash-vocab: rows per n-gram size in the hash embedding.</summary>
    public int HashVocab { get; init; } = 4099;

    /// <summary>--devices: one replica per entry ("cpu" may repeat, "cuda:0", ...).</summary>
    public IReadOnlyList<string> Devices { get; init; } = ["cpu"];
    /// <summary>--precision: Float32 or BFloat16 (bf16 replicas, fp32 master weights).</summary>
    public TrainingPrecision Precision { get; init; } = TrainingPrecision.Float32;
    /// <summary>--seed: seeds initialisation and data order of both phases.</summary>
    public int Seed { get; init; }
    /// <summary>--eval-every: evaluate held-out bits per byte every this many steps (and at the end); 0 only at the end.</summary>
    public int EvalEvery { get; init; } = 100;
    /// <summary>--checkpoint-every: checkpoint every this many steps and at the end; 0 saves none (except on a stop, so the run can resume).</summary>
    public int CheckpointEvery { get; init; } = 100;
    /// <summary>--no-resume (sets false): start over even if OutputDirectory holds checkpoints.</summary>
    public bool Resume { get; init; } = true;
    /// <summary>--threads: torch CPU threads; omitted, torch's default.</summary>
    public int? Threads { get; init; }
    /// <summary>Console progress (the command line turns it on unless --quiet); off, progress goes only to the IProgress given to Run.</summary>
    public bool ShowProgress { get; init; }

    /// <summary>Throws naming the flag when a value cannot work.</summary>
    public void Validate()
    {
        static void Require(bool ok, string message)
        {
            if (!ok) throw new ArgumentException("Invalid BLT pre-training options: " + message);
        }
        Require(!string.IsNullOrWhiteSpace(OutputDirectory), "--output is required.");
        Require(TextFile is null || File.Exists(TextFile), $"--text {TextFile} does not exist.");
        Require(HeldOutFraction is > 0 and < 1, $"--held-out {HeldOutFraction} must be in (0, 1).");
        Require(TrainBytes >= 0, $"--train-bytes {TrainBytes} must be >= 0.");
        Require(SequenceLength >= 8 && BatchBytes >= 1, $"--sequence-length {SequenceLength} must be >= 8 and --batch-bytes {BatchBytes} positive.");
        Require(EntropySteps >= 1 && Steps >= 1 && WarmupSteps >= 0, "--entropy-steps and --steps must be >= 1, --warmup >= 0.");
        Require(EntropyLearningRate > 0 && LearningRate > 0 && WeightDecay >= 0, "--entropy-lr and --lr must be positive, --weight-decay >= 0.");
        Require(TargetPatchSize > 1, $"--patch-size {TargetPatchSize} must exceed 1 byte.");
        Require(CalibrationDocuments >= 1, $"--calibration-documents {CalibrationDocuments} must be >= 1.");
        Require(ConfigFile is null || File.Exists(ConfigFile), $"--config {ConfigFile} does not exist.");
        Require(Devices.Count >= 1, "--devices needs at least one device.");
        Require(Threads is null or >= 1, $"--threads {Threads} must be >= 1.");
    }

    /// <summary>The BLT shape: <see cref="ConfigFile"/>, or the size flags (head width 32 locally, 64 in the latent model).</summary>
    public BltConfig ModelConfig()
    {
        var config = ConfigFile is string path ? BltConfigJson.Read(path) : new BltConfig
        {
            PatchInForward = true,
            PatchingMode = PatchingMode.Entropy,
            MaxPatchLength = MaxPatchLength,
            EncoderHashByteGroupVocab = HashVocab,
            PatcherConfig = new BltPatcherConfig(HiddenSize: EntropyHiddenSize, NumHiddenLayers: EntropyLayers, NumAttentionHeads: Heads(EntropyHiddenSize, 32),
                IntermediateSize: Ffn(EntropyHiddenSize), MaxPositionEmbeddings: SequenceLength),
            EncoderConfig = new BltLocalEncoderConfig(HiddenSize: LocalHiddenSize, HiddenSizeGlobal: GlobalHiddenSize, NumAttentionHeads: Heads(LocalHiddenSize, 32),
                NumHiddenLayers: EncoderLayers, IntermediateSize: Ffn(LocalHiddenSize), SlidingWindow: LocalWindow, MaxPositionEmbeddings: SequenceLength),
            DecoderConfig = new BltLocalDecoderConfig(HiddenSize: LocalHiddenSize, HiddenSizeGlobal: GlobalHiddenSize, NumAttentionHeads: Heads(LocalHiddenSize, 32),
                NumHiddenLayers: DecoderLayers, IntermediateSize: Ffn(LocalHiddenSize), SlidingWindow: LocalWindow, MaxPositionEmbeddings: SequenceLength),
            GlobalConfig = new BltGlobalTransformerConfig(HiddenSize: GlobalHiddenSize, NumAttentionHeads: Heads(GlobalHiddenSize, 64), NumHiddenLayers: GlobalLayers,
                IntermediateSize: Ffn(GlobalHiddenSize), MaxPositionEmbeddings: SequenceLength),
        };
        config = config with { MaxPatchLength = MaxPatchLength ?? config.MaxPatchLength };
        config.Validate();
        return config;
    }

    static int Heads(int hidden, int headDim) => Math.Max(1, hidden / headDim);

    /// <summary>SwiGLU width ≈ 8/3 of the model width (as the reference's 2048 → 5632), a multiple of 8.</summary>
    static int Ffn(int hidden) => (hidden * 11 / 4 + 7) / 8 * 8;
}
