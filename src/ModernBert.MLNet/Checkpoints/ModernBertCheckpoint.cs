using TorchSharp;
using MLNetExt.Training.Checkpoints;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace MLNetExt.ModernBert;

/// <summary>Keys that did not line up in a non-strict load (missing ones keep their fresh initialisation).</summary>
public sealed record CheckpointLoadReport(IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected);

/// <summary>
/// Hugging Face folder checkpoints: <c>config.json</c> + <c>model.safetensors</c> (+ tokenizer files), loadable by
/// transformers' <c>AutoModelFor*.from_pretrained</c>. Tensor names are the module's state_dict keys, which are
/// HF's: heads prefix the encoder with <c>model.</c>, a bare encoder has no prefix, and the tied
/// <c>decoder.weight</c> is never stored (transformers re-ties it).
/// </summary>
public static class ModernBertCheckpoint
{
    public const string ConfigFile = "config.json";
    public const string WeightsFile = "model.safetensors";
    static readonly string[] TokenizerFiles = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"];

    public static ModernBertConfig LoadConfig(string folder) => ModernBertConfigJson.Load(Path.Combine(folder, ConfigFile));

    /// <summary>
    /// Builds a model from the folder's config with <paramref name="create"/> (which may adjust the config, e.g.
    /// <c>c =&gt; new ModernBertForSequenceClassification(c with { NumLabels = 3 })</c>) and loads its weights.
    /// Non-strict loads tolerate missing and unexpected tensors (e.g. a classifier on top of an MLM checkpoint).
    /// The weights' header is read and checked against the config's size before anything is built.
    /// </summary>
    public static TModel Load<TModel>(string folder, Func<ModernBertConfig, TModel> create, bool strict = true)
        where TModel : nn.Module, IModernBertModule
    {
        string configPath = Path.Combine(folder, ConfigFile), weightsPath = Path.Combine(folder, WeightsFile);
        var config = ModernBertConfigJson.Load(configPath);
        var header = SafetensorsHeader.Read(weightsPath);
        ModelSize.Check(config.EncoderParameterCount(), configPath, header);
        var model = create(config);
        try { LoadWeights(model, header, strict); }
        catch { model.Dispose(); throw; }
        return model;
    }

    /// <summary>
    /// Copies a safetensors file (f32, bf16 or f16) into <paramref name="model"/>, converting to each parameter's
    /// dtype and device. Throws one error listing every mis-shaped tensor (and, when strict, every missing or unexpected one).
    /// </summary>
    public static CheckpointLoadReport LoadWeights(nn.Module model, string safetensorsPath, bool strict = true) =>
        LoadWeights(model, SafetensorsHeader.Read(safetensorsPath), strict);

    static CheckpointLoadReport LoadWeights(nn.Module model, SafetensorsHeader header, bool strict)
    {
        var modelKeys = model.state_dict().Keys;
        // The tied decoder.weight is tok_embeddings; a checkpoint that stores it anyway is not "unexpected".
        IReadOnlySet<string>? tied = model is ModernBertForMaskedLM ? new HashSet<string> { "decoder.weight" } : null;
        var match = SafetensorsLoader.Load(model, header, strict, KeyMap(modelKeys, header.Tensors.Keys), tied);
        return new CheckpointLoadReport(match.Missing, match.Unexpected);
    }

    /// <summary>
    /// Writes <c>config.json</c> and <c>model.safetensors</c> (in the model's current dtype) into <paramref name="folder"/>,
    /// and copies tokenizer files from <paramref name="tokenizerSource"/> when given.
    /// </summary>
    public static void Save<TModel>(TModel model, string folder, string? tokenizerSource = null) where TModel : nn.Module, IModernBertModule
    {
        Directory.CreateDirectory(folder);
        var dtype = model.parameters().First().dtype;
        File.WriteAllText(Path.Combine(folder, ConfigFile), ModernBertConfigJson.ToJson(model.Config, model.GetType().Name, DTypeName(dtype)));
        var tensors = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu().contiguous());
        try { Safetensors.SaveStateDict(Path.Combine(folder, WeightsFile), tensors); }
        finally { foreach (var t in tensors.Values) t.Dispose(); }
        if (tokenizerSource is null) return;
        foreach (var file in TokenizerFiles)
        {
            string source = Path.Combine(tokenizerSource, file);
            if (File.Exists(source)) File.Copy(source, Path.Combine(folder, file), overwrite: true);
        }
    }

    /// <summary>
    /// Checkpoint name -> model key: a head loading a bare-encoder checkpoint adds <c>model.</c>; a bare encoder
    /// loading a head's checkpoint drops it.
    /// </summary>
    static Func<string, string> KeyMap(IEnumerable<string> modelKeys, IEnumerable<string> checkpointKeys)
    {
        const string prefix = "model.";
        bool modelPrefixed = modelKeys.Any(k => k.StartsWith(prefix, StringComparison.Ordinal));
        bool checkpointPrefixed = checkpointKeys.Any(k => k.StartsWith(prefix, StringComparison.Ordinal));
        if (modelPrefixed && !checkpointPrefixed) return name => prefix + name;
        if (!modelPrefixed && checkpointPrefixed) return name => name.StartsWith(prefix, StringComparison.Ordinal) ? name[prefix.Length..] : name;
        return name => name;
    }

    static string DTypeName(ScalarType dtype) => dtype switch
    {
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Float16 => "float16",
        _ => "float32",
    };

    static string Shape(IEnumerable<long> shape) => $"[{string.Join(", ", shape)}]";
}
