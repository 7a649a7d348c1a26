using MLNetExt.Training.Checkpoints;
using TorchSharp.PyBridge;

namespace MLNetExt.Blt;

/// <summary>
/// Hugging Face folder layout: <c>config.json</c> (HF BltConfig, see <see cref="BltConfigJson"/>) and
/// <c>model.safetensors</c> whose keys are HF BltForCausalLM's (<c>model.local_encoder.…</c>, <c>lm_head.weight</c>).
/// Loading validates the config, reads the weights' header and checks it against the config's size before building
/// the model, then checks every key and shape (naming each missing, unexpected or mis-shaped tensor) before reading data.
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
        var config = BltConfigJson.Read(configPath);
        var header = SafetensorsHeader.Read(weightsPath);
        ModelSize.Check(config.ParameterCount(), configPath, header);
        var model = new BltModel(config);
        try { SafetensorsLoader.Load(model, header); }
        catch { model.Dispose(); throw; }
        return model;
    }
}
