using System.Text.Json;
using MLNetExt.Blt.Modules;
using MLNetExt.Blt.Patching;
using MLNetExt.Training;
using MLNetExt.Training.Data;
using MLNetExt.Training.Optim;
using MLNetExt.Training.Schedules;
using MLNetExt.Training.Telemetry;
using static TorchSharp.torch;

namespace MLNetExt.Blt.Training;

public enum BltPretrainingStage { EntropyModel, Calibration, Blt, Saving }

/// <summary>What <see cref="BltPretraining.Run"/> is doing: a training step (with <see cref="Training"/>) or a stage message.</summary>
public sealed record BltPretrainingProgress(BltPretrainingStage Stage, TrainingProgress? Training, string Message);

/// <summary>The outcome of a pre-training run; also written to summary.json.</summary>
/// <param name="EntropyBitsPerByte">held-out bits per byte of the entropy model alone</param>
/// <param name="BitsPerByte">held-out bits per byte of the BLT</param>
/// <param name="Threshold">calibrated entropy threshold (nats)</param>
/// <param name="Flops">training FLOPs per held-out byte by stage, with the held-out mean patch size</param>
public sealed record BltPretrainingResult(double EntropyBitsPerByte, double BitsPerByte, double Threshold, BltFlopsPerByte Flops,
    long TrainBytes, long HeldOutBytes, string ModelDirectory, string PlotPath);

/// <summary>The same-size byte transformer trained like the BLT: held-out bits per byte (final and at each evaluation) and FLOPs per byte.</summary>
/// <param name="LayerFlopsPerByte">training FLOPs per held-out byte of its transformer layers: the counterpart of BLT's latent FLOPs</param>
/// <param name="FlopsPerByte">the same with the LM head</param>
public sealed record ByteBaselineResult(double BitsPerByte, double LayerFlopsPerByte, double FlopsPerByte, IReadOnlyList<(long Step, double BitsPerByte)> Curve);

/// <summary>
/// Pre-trains a BLT from text in three stages: (1) the entropy model as a byte LM, (2) the entropy threshold calibrated
/// to a target mean patch size, (3) the BLT with that entropy model frozen inside. Both trainings use the shared
/// <see cref="Trainer{TModel,TBatch}"/> (progress, checkpoints, resume: rerunning with the same options continues
/// where a stopped run left off) and are scored on the held-out end of the text. Writes the HF-layout model and a
/// picture of one held-out paragraph's entropies and patches.
/// </summary>
public static class BltPretraining
{
    public static BltPretrainingResult Run(BltPretrainingOptions options, IProgress<BltPretrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options.Validate();
        var config = options.ModelConfig();
        if (config.PatchingMode is not (PatchingMode.Entropy or PatchingMode.MonotonicEntropy) || !config.PatchInForward)
            throw new ArgumentException($"--config {options.ConfigFile}: pre-training calibrates an entropy model, so patching_mode must be entropy and patch_in_forward true (got {config.PatchingMode}, {config.PatchInForward}).");
        if (options.Threads is int threads) set_num_threads(threads);
        Directory.CreateDirectory(options.OutputDirectory);

        var (trainTexts, heldOut) = LoadTexts(options);
        var train = ByteBatches.FromTexts(trainTexts, options.SequenceLength, options.BatchBytes);
        var eval = ByteBatches.FromTexts(heldOut, options.SequenceLength, options.BatchBytes);

        // 1. Entropy model: a small byte LM.
        using var entropyTrainer = new Trainer<EntropyModel, BltBatch>(new ByteLmTask(config.PatcherConfig),
            TrainerOptions(options, "entropy-model", options.EntropySteps, options.EntropyLearningRate));
        double entropyBpb = Fit(entropyTrainer, train, eval, BltPretrainingStage.EntropyModel, progress, cancellationToken);
        var entropyModel = entropyTrainer.Model;
        entropyModel.eval();

        // 2. Threshold for the target mean patch size on training documents spread over the whole text.
        var documents = train.SelectMany(ByteBatches.Documents).ToList();
        int stride = Math.Max(1, documents.Count / options.CalibrationDocuments);
        var sample = documents.Where((_, i) => i % stride == 0).Take(options.CalibrationDocuments).ToList();
        double threshold = ThresholdCalibration.Calibrate(entropyModel, sample, options.TargetPatchSize, config.PatchingMode, config.MaxPatchLength);
        config = config with { PatchingThreshold = threshold };
        progress?.Report(new(BltPretrainingStage.Calibration, null, $"threshold {threshold:F4} nats for mean patch size {options.TargetPatchSize}"));

        // 3. BLT around the frozen entropy model.
        var task = new BltTask(config, entropyModel);
        using var bltTrainer = new Trainer<BltModel, BltBatch>(task, TrainerOptions(options, "blt", options.Steps, options.LearningRate));
        double bpb = Fit(bltTrainer, train, eval, BltPretrainingStage.Blt, progress, cancellationToken);

        // 4. HF folder, entropy picture, summary.
        progress?.Report(new(BltPretrainingStage.Saving, null, "saving model, plot and summary"));
        string modelDir = Path.Combine(options.OutputDirectory, "model"), plotPath = Path.Combine(options.OutputDirectory, "entropy.png");
        BltCheckpoint.Save(bltTrainer.Model, modelDir);
        bltTrainer.Model.eval();
        BltPlots.EntropyPlot(plotPath, bltTrainer.Model, PlotParagraph(heldOut));
        long heldOutBytes = eval.Sum(ByteBatches.CountTargets);
        var result = new BltPretrainingResult(entropyBpb, bpb, threshold, MeanFlops(task, eval), train.Sum(ByteBatches.CountTargets), heldOutBytes, modelDir, plotPath);
        File.WriteAllText(Path.Combine(options.OutputDirectory, "summary.json"), JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
        return result;
    }

    /// <summary>
    /// Trains the plain byte-level transformer of the BLT's latent size (<see cref="ByteLmTask.SameSizeAs"/>) exactly as
    /// <see cref="Run"/> trains the BLT (same texts, batches, steps, schedule, seed) into OutputDirectory/baseline: the
    /// reference BLT's FLOPs per byte are compared against.
    /// </summary>
    public static ByteBaselineResult RunBaseline(BltPretrainingOptions options, IProgress<BltPretrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options.Validate();
        if (options.Threads is int threads) set_num_threads(threads);
        var (trainTexts, heldOut) = LoadTexts(options);
        var train = ByteBatches.FromTexts(trainTexts, options.SequenceLength, options.BatchBytes);
        var eval = ByteBatches.FromTexts(heldOut, options.SequenceLength, options.BatchBytes);
        var task = new ByteLmTask(ByteLmTask.SameSizeAs(options.ModelConfig().GlobalConfig));
        using var trainer = new Trainer<EntropyModel, BltBatch>(task, TrainerOptions(options, "baseline", options.Steps, options.LearningRate));
        var curve = new List<(long, double)>();
        double bpb = Fit(trainer, train, eval, BltPretrainingStage.Blt, progress, cancellationToken,
            p => { if (p.EvalLoss is double e) curve.Add((p.Step, NextByteLoss.BitsPerByte(e))); });
        return new ByteBaselineResult(bpb, PerByte(eval, task.LayerFlopsPerByte), PerByte(eval, task.FlopsPerToken), curve);
    }

    /// <summary>The training and held-out texts the options describe (file or Moby Dick, held-out tail, training-size cap).</summary>
    public static (List<string> Train, List<string> HeldOut) LoadTexts(BltPretrainingOptions options)
    {
        var texts = options.TextFile is string file ? [File.ReadAllText(file)] : MobyDick.LoadSections();
        var (train, heldOut) = SplitHeldOut(texts, options.HeldOutFraction);
        return (options.TrainBytes > 0 ? Truncate(train, options.TrainBytes) : train, heldOut);
    }

    /// <summary>
    /// The last <paramref name="fraction"/> of the characters as held-out text: whole texts from the end (Moby Dick's
    /// last chapters), then, if that falls short, the tail of the next text cut at a line break.
    /// </summary>
    public static (List<string> Train, List<string> HeldOut) SplitHeldOut(IReadOnlyList<string> texts, double fraction)
    {
        long needed = (long)Math.Ceiling(texts.Sum(t => (long)t.Length) * fraction);
        var train = texts.ToList();
        var heldOut = new List<string>();
        while (train.Count > 0 && needed >= train[^1].Length && train.Count > 1)
        {
            needed -= train[^1].Length;
            heldOut.Insert(0, train[^1]);
            train.RemoveAt(train.Count - 1);
        }
        if (needed > 0)
        {
            string last = train[^1];
            int cut = last.LastIndexOf('\n', (int)Math.Max(0, last.Length - needed));
            cut = cut <= 0 ? (int)(last.Length - needed) : cut + 1;
            if (cut <= 0) throw new ArgumentException($"The text ({last.Length} characters) is too short to hold out {fraction:P0} and keep some for training.", nameof(texts));
            heldOut.Insert(0, last[cut..]);
            train[^1] = last[..cut];
        }
        return (train, heldOut);
    }

    static List<string> Truncate(List<string> texts, int characters)
    {
        var kept = new List<string>();
        foreach (var t in texts)
        {
            if (characters <= 0) break;
            kept.Add(t.Length <= characters ? t : t[..characters]);
            characters -= t.Length;
        }
        return kept;
    }

    static TrainerOptions TrainerOptions(BltPretrainingOptions o, string folder, int steps, double lr) => new()
    {
        Schedule = new WarmupCosine(lr, Math.Min(o.WarmupSteps, steps - 1), steps, MinLrRatio: 0.1),
        Devices = o.Devices,
        Precision = o.Precision,
        Seed = o.Seed,
        AdamW = new AdamWOptions(WeightDecay: o.WeightDecay),
        EvalEvery = o.EvalEvery,
        OutputDirectory = Path.Combine(o.OutputDirectory, folder),
        CheckpointEvery = o.CheckpointEvery,
        CheckpointAtEnd = o.CheckpointEvery > 0,
        Resume = o.Resume,
        ShowProgress = o.ShowProgress,
    };

    /// <summary>Trains (or resumes) to the end and returns held-out bits per byte.</summary>
    static double Fit<TModel>(Trainer<TModel, BltBatch> trainer, IReadOnlyList<BltBatch> train, IReadOnlyList<BltBatch> eval,
        BltPretrainingStage stage, IProgress<BltPretrainingProgress>? progress, CancellationToken cancellationToken, Action<TrainingProgress>? onStep = null)
        where TModel : nn.Module
    {
        var forward = new Forward(progress, stage, onStep);
        var result = trainer.Fit(train, eval, forward, cancellationToken);
        // A run resumed after its last step trains nothing and evaluates nothing: score it here.
        double nats = result.EvalLosses.Count > 0 && result.EvalLosses[^1].Step == result.FinalStep ? result.EvalLosses[^1].Loss : trainer.Evaluate(eval);
        double bpb = NextByteLoss.BitsPerByte(nats);
        progress?.Report(new(stage, null, $"held-out bits per byte {bpb:F4}"));
        return bpb;
    }

    /// <summary>Synchronous adapter (Progress&lt;T&gt; would post reports later, out of order with the stage messages).</summary>
    sealed class Forward(IProgress<BltPretrainingProgress>? to, BltPretrainingStage stage, Action<TrainingProgress>? also) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            also?.Invoke(value);
            to?.Report(new(stage, value, $"step {value.Step}/{value.TotalSteps}"));
        }
    }

    /// <summary>BLT FLOPs per byte over the held-out batches, each weighted by its bytes.</summary>
    static BltFlopsPerByte MeanFlops(BltTask task, IReadOnlyList<BltBatch> eval)
    {
        var flops = eval.ToDictionary(b => b, task.FlopsPerByte);
        double At(Func<BltFlopsPerByte, double> part) => PerByte(eval, b => part(flops[b]));
        return new BltFlopsPerByte(At(f => f.Entropy), At(f => f.Encoder), At(f => f.Latent), At(f => f.Decoder), 1 / At(f => 1 / f.MeanPatchSize));
    }

    /// <summary>Byte-weighted mean of a per-byte quantity over batches.</summary>
    static double PerByte(IReadOnlyList<BltBatch> batches, Func<BltBatch, double> perByte)
    {
        double bytes = 0, sum = 0;
        foreach (var b in batches)
        {
            double n = ByteBatches.DocumentLengths(b).Sum();
            (bytes, sum) = (bytes + n, sum + (n * perByte(b)));
        }
        return sum / bytes;
    }

    /// <summary>The first held-out paragraph of 120+ characters, cut to 240 so the picture stays legible.</summary>
    static string PlotParagraph(IReadOnlyList<string> heldOut)
    {
        var paragraphs = heldOut.SelectMany(t => t.Split("\n\n")).Select(p => p.Trim().ReplaceLineEndings(" ")).ToList();
        string paragraph = paragraphs.FirstOrDefault(p => p.Length >= 120) ?? paragraphs.MaxBy(p => p.Length) ?? "";
        return paragraph.Length > 240 ? paragraph[..240] : paragraph;
    }
}
