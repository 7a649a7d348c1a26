using System.Text;
using System.Text.Json;
using TorchSharp.PyBridge;

namespace MLNetExt.Blt;

/// <summary>
/// Hugging Face folder layout: <c>config.json</c> (HF BltConfig, see <see cref="BltConfigJson"/>) and
/// <c>model.safetensors</c> whose keys are HF BltForCausalLM's (<c>model.local_encoder.…</c>, <c>lm_head.weight</c>).
/// Loading checks every key and shape first and names each missing, unexpected or mis-shaped tensor.
/// </summary>
public static class BltCheckpoint
{
    public const string ConfigFile = "config.json";
    public const string WeightsFile = "model.safetensors";

    public static void Save(BltModel model, string directory)
    {
        Directory.CreateDirectory(directory);
        BltConfigJson.Write(model.Config, Path.Combine(directory, ConfigFile));
        model.save_safetensors(Path.Combine(directory, WeightsFile));
    }

    public static BltModel Load(string directory)
    {
        string configPath = Path.Combine(directory, ConfigFile), weightsPath = Path.Combine(directory, WeightsFile);
        if (!File.Exists(configPath)) throw new FileNotFoundException($"No {ConfigFile} in {directory}.", configPath);
        if (!File.Exists(weightsPath)) throw new FileNotFoundException($"No {WeightsFile} in {directory}.", weightsPath);
        var model = new BltModel(BltConfigJson.Read(configPath));
        CheckTensors(model, weightsPath);
        model.load_safetensors(weightsPath, strict: true);
        return model;
    }

    /// <summary>Throws one exception listing every missing, unexpected and mis-shaped tensor of <paramref name="weightsPath"/>.</summary>
    public static void CheckTensors(BltModel model, string weightsPath)
    {
        var stored = ReadShapes(weightsPath);
        var expected = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
        var problems = new List<string>();
        problems.AddRange(expected.Keys.Where(k => !stored.ContainsKey(k)).Select(k => $"missing {k} (expected shape [{string.Join(", ", expected[k])}])"));
        problems.AddRange(stored.Keys.Where(k => !expected.ContainsKey(k)).Select(k => $"unexpected {k}"));
        problems.AddRange(expected.Keys.Where(k => stored.TryGetValue(k, out var s) && !s.SequenceEqual(expected[k]))
            .Select(k => $"{k} has shape [{string.Join(", ", stored[k])}], expected [{string.Join(", ", expected[k])}]"));
        if (problems.Count > 0)
            throw new InvalidDataException($"{weightsPath} does not match the config: " + string.Join("; ", problems));
    }

    /// <summary>Tensor names and shapes from a safetensors header (8-byte little-endian length, then JSON).</summary>
    static Dictionary<string, long[]> ReadShapes(string path)
    {
        using var stream = File.OpenRead(path);
        var lengthBytes = new byte[8];
        stream.ReadExactly(lengthBytes);
        long length = BitConverter.ToInt64(lengthBytes);
        if (length <= 0 || length > stream.Length - 8) throw new InvalidDataException($"{path} is not a safetensors file (header length {length}).");
        var header = new byte[length];
        stream.ReadExactly(header);
        using var json = JsonDocument.Parse(Encoding.UTF8.GetString(header));
        return json.RootElement.EnumerateObject().Where(p => p.Name != "__metadata__")
            .ToDictionary(p => p.Name, p => p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray());
    }
}
