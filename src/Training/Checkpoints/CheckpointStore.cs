using System.Globalization;
using System.Text.Json;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace MLNetExt.Training.Checkpoints;

/// <summary>
/// Checkpoints as directories <c>step-000000123/</c> holding model.safetensors (the module's state_dict, keys
/// unchanged), optimizer.safetensors (AdamW moments) and trainer.json (<see cref="TrainerState"/>). Each is written
/// into a hidden temporary directory and renamed into place, so a crash never leaves a directory that
/// <see cref="Latest"/> would pick; only the newest <c>keepLast</c> are kept.
/// </summary>
public sealed class CheckpointStore
{
    public const string ModelFile = "model.safetensors", OptimizerFile = "optimizer.safetensors", StateFile = "trainer.json";
    const string Prefix = "step-";

    readonly string _directory;
    readonly int _keepLast;

    public CheckpointStore(string directory, int keepLast)
    {
        if (keepLast < 1) throw new ArgumentOutOfRangeException(nameof(keepLast), keepLast, "Keep at least one checkpoint.");
        _directory = directory;
        _keepLast = keepLast;
    }

    public string Save(nn.Module model, IReadOnlyDictionary<string, Tensor> optimizerState, TrainerState state)
    {
        Directory.CreateDirectory(_directory);
        string final = Path.Combine(_directory, Prefix + state.Step.ToString("D9", CultureInfo.InvariantCulture));
        string temp = Path.Combine(_directory, $".tmp-{Path.GetFileName(final)}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        using (var scope = NewDisposeScope())
        {
            Safetensors.SaveStateDict(Path.Combine(temp, ModelFile), OnCpu(model.state_dict()));
            Safetensors.SaveStateDict(Path.Combine(temp, OptimizerFile), OnCpu(optimizerState));
        }
        File.WriteAllText(Path.Combine(temp, StateFile), JsonSerializer.Serialize(state, JsonOptions));
        if (Directory.Exists(final)) Directory.Delete(final, recursive: true);
        Directory.Move(temp, final);
        Prune();
        return final;
    }

    /// <summary>The newest complete checkpoint directory, or null. Temporary and incomplete directories are ignored.</summary>
    public string? Latest() => Complete().LastOrDefault().Path;

    /// <summary>Reads a checkpoint: model weights into <paramref name="model"/>, and the optimizer tensors and trainer state returned.</summary>
    public static (Dictionary<string, Tensor> OptimizerState, TrainerState State) Load(string checkpoint, nn.Module model)
    {
        string statePath = Path.Combine(checkpoint, StateFile);
        TrainerState state;
        try
        {
            state = JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(statePath), JsonOptions)
                ?? throw new InvalidDataException($"{statePath} is empty.");
        }
        catch (JsonException e) { throw new InvalidDataException($"{statePath} is not a valid trainer state: {e.Message}", e); }
        SafetensorsLoader.Load(model, Path.Combine(checkpoint, ModelFile));
        return (SafetensorsLoader.ReadAll(Path.Combine(checkpoint, OptimizerFile)), state);
    }

    IEnumerable<(long Step, string Path)> Complete()
    {
        if (!Directory.Exists(_directory)) return [];
        return Directory.EnumerateDirectories(_directory, Prefix + "*")
            .Select(d => (Ok: long.TryParse(Path.GetFileName(d)[Prefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out long step), Step: step, Path: d))
            .Where(c => c.Ok && new[] { ModelFile, OptimizerFile, StateFile }.All(f => File.Exists(Path.Combine(c.Path, f))))
            .Select(c => (c.Step, c.Path))
            .OrderBy(c => c.Step);
    }

    void Prune()
    {
        var all = Complete().ToList();
        foreach (var (_, path) in all.Take(Math.Max(0, all.Count - _keepLast))) Directory.Delete(path, recursive: true);
    }

    static Dictionary<string, Tensor> OnCpu(IEnumerable<KeyValuePair<string, Tensor>> tensors) =>
        tensors.ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu().contiguous());

    static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };
}
