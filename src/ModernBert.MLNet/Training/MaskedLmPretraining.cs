using System.Text.Json;
using System.Text.Json.Serialization;
using MLNetExt.ModernBert.Tokenization;
using MLNetExt.Training;
using MLNetExt.Training.Data;
using MLNetExt.Training.Objectives;
using MLNetExt.Training.Schedules;
using MLNetExt.Training.Telemetry;

namespace MLNetExt.ModernBert.Training;

/// <summary>What a pretraining run did: the trainer's result, where the final model went, and mean throughput.</summary>
/// <param name="TokensPerSecond">Mean over this call's steps, the first (warm-up) step left out when there are more.</param>
/// <param name="Mfu">Mean model FLOPs utilisation over the same steps; NaN when the devices' peak is unknown.</param>
public sealed record PretrainingResult(TrainingResult Training, string FinalDirectory, ModernBertConfig Config, int Batches, double TokensPerSecond, double Mfu);

/// <summary>
/// Masked-language-model pretraining of ModernBERT from text: tokenize, cut and pack the documents, train with
/// <see cref="Trainer{TModel,TBatch}"/>, and write a Hugging Face folder (config.json, model.safetensors,
/// tokenizer.json) to <c>OutputDirectory/final</c>. Runs resume from their newest complete checkpoint.
/// </summary>
public static class MaskedLmPretraining
{
    public const string OptionsFile = "options.json", FinalFolder = "final";

    public static PretrainingResult Run(MaskedLmPretrainingOptions options, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(options.OutputDirectory);
        string saved = Path.Combine(options.OutputDirectory, OptionsFile);
        // Devices and console output may change between sessions (the trajectory does not depend on them); nothing else may.
        if (File.Exists(saved) && ReadOptions(options.OutputDirectory) with { Devices = options.Devices, OutputDirectory = options.OutputDirectory, ShowProgress = options.ShowProgress } != options)
            throw new InvalidOperationException($"{options.OutputDirectory} holds a run with other options ({saved}); resume it, or choose another output folder.");
        File.WriteAllText(saved, JsonSerializer.Serialize(options, Json));

        var tokenizer = LoadTokenizer(options.Tokenizer);
        var config = PretrainingConfigs.Resolve(options.Config, tokenizer);
        int maxLength = Math.Min(options.MaxSequenceLength, config.MaxPositionEmbeddings);
        var batches = TextBatches.Pack(tokenizer, LoadTexts(options.Data), options.BatchTokens, maxLength, minSequencesPerBatch: options.Devices.Count);
        var task = ModernBertMaskedLmTask.ForTokenizer(config, tokenizer, options.MaskProbability);
        var trainerOptions = new TrainerOptions
        {
            Schedule = new WarmupStableDecay(options.LearningRate, Math.Min(options.WarmupSteps, options.Steps), options.Steps, DecaySteps: Math.Max(1, options.Steps / 10)),
            Devices = options.Devices,
            Precision = options.Precision,
            Seed = options.Seed,
            OutputDirectory = options.OutputDirectory,
            CheckpointEvery = options.CheckpointEvery,
            CheckpointAtEnd = options.CheckpointEvery > 0,
            ShowProgress = options.ShowProgress,
        };
        var steps = new List<TrainingProgress>();
        var recorder = new Progress(steps, progress);
        using var trainer = new Trainer<ModernBertForMaskedLM, MaskedBatch>(task, trainerOptions);
        var result = trainer.Fit(ModernBertMaskedLmTask.Unmasked(batches), progress: recorder, cancellationToken: cancellationToken);

        string final = Path.Combine(options.OutputDirectory, FinalFolder);
        ModernBertCheckpoint.Save(trainer.Model, final);
        tokenizer.Save(Path.Combine(final, "tokenizer.json"));
        var timed = steps.Count > 1 ? steps.Skip(1).ToList() : steps;
        return new PretrainingResult(result, final, config, batches.Count,
            timed.Count > 0 ? timed.Average(s => s.TokensPerSecond) : double.NaN, timed.Count > 0 ? timed.Average(s => s.Mfu) : double.NaN);
    }

    /// <summary>
    /// Continues the run in <paramref name="runDirectory"/> with its saved options from its newest complete checkpoint.
    /// <paramref name="devices"/> replaces the saved device list (the trajectory is the same for any replica count).
    /// </summary>
    public static PretrainingResult Resume(string runDirectory, IReadOnlyList<string>? devices = null, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var options = ReadOptions(runDirectory) with { OutputDirectory = runDirectory };
        return Run(devices is null ? options : options with { Devices = devices }, progress, cancellationToken);
    }

    public static MaskedLmPretrainingOptions ReadOptions(string runDirectory)
    {
        string path = Path.Combine(runDirectory, OptionsFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"{runDirectory} is not an MLM pretraining run: {OptionsFile} is missing.", path);
        return JsonSerializer.Deserialize<MaskedLmPretrainingOptions>(File.ReadAllText(path), Json)
            ?? throw new InvalidDataException($"{path} is empty.");
    }

    /// <summary>The texts of "spam", "moby-dick", a text file, or every .txt file under a folder (ordinal path order).</summary>
    public static IReadOnlyList<string> LoadTexts(string data)
    {
        if (data == "spam") return SpamAssassin.Load().Select(e => e.Text).ToList();
        if (data == "moby-dick") return MobyDick.LoadSections();
        if (File.Exists(data)) return [File.ReadAllText(data)];
        if (Directory.Exists(data))
        {
            var files = Directory.GetFiles(data, "*.txt", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
            if (files.Count == 0) throw new ArgumentException($"The data folder {data} holds no .txt files.");
            return files.Select(File.ReadAllText).ToList();
        }
        throw new FileNotFoundException($"Data '{data}' is neither \"spam\", \"moby-dick\", a text file nor a folder of .txt files.", data);
    }

    static ModernBertTokenizer LoadTokenizer(string? tokenizer) =>
        tokenizer is null or "gpt2" ? ModernBertTokenizer.CreateDefault() : ModernBertTokenizer.Load(tokenizer, SpecialTokenIds.ModernBert);

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Converters = { new JsonStringEnumConverter() } };

    sealed class Progress(List<TrainingProgress> steps, IProgress<TrainingProgress>? next) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            steps.Add(value);
            next?.Report(value);
        }
    }
}
