using TorchSharp;
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
    /// </summary>
    public static TModel Load<TModel>(string folder, Func<ModernBertConfig, TModel> create, bool strict = true)
        where TModel : nn.Module, IModernBertModule
    {
        var model = create(LoadConfig(folder));
        LoadWeights(model, Path.Combine(folder, WeightsFile), strict);
        return model;
    }

    /// <summary>
    /// Copies a safetensors file (f32, bf16 or f16) into <paramref name="model"/>, converting to each parameter's
    /// dtype and device. Throws one error listing every mis-shaped tensor (and, when strict, every missing or unexpected one).
    /// </summary>
    public static CheckpointLoadReport LoadWeights(nn.Module model, string safetensorsPath, bool strict = true)
    {
        var header = SafetensorsHeader.Read(safetensorsPath);
        var target = model.state_dict();
        var rename = KeyMap(target.Keys, header.Tensors.Keys);
        var misShaped = new List<string>();
        var missing = new List<string>();
        var unexpected = new List<string>();
        var lines = new List<string>();
        foreach (var (name, entry) in header.Tensors)
        {
            string key = rename(name);
            if (key == "decoder.weight" && model is ModernBertForMaskedLM) continue; // tied to tok_embeddings
            if (!target.TryGetValue(key, out var t)) { unexpected.Add(name); lines.Add($"{name}: not in the model; checkpoint has {entry.DType}{Shape(entry.Shape)}"); }
            else if (!t.shape.SequenceEqual(entry.Shape)) misShaped.Add($"{key}: model expects {Shape(t.shape)}, checkpoint has {Shape(entry.Shape)}");
        }
        var present = header.Tensors.Keys.Select(rename).ToHashSet();
        foreach (var (key, t) in target)
            if (!present.Contains(key)) { missing.Add(key); lines.Add($"{key}: model expects {Shape(t.shape)}, missing from the checkpoint"); }
        var fatal = strict ? [.. misShaped, .. lines] : misShaped;
        if (fatal.Count > 0)
            throw new InvalidDataException($"Checkpoint {safetensorsPath} does not match {model.GetType().Name}:\n  " + string.Join("\n  ", fatal));

        var loaded = Safetensors.LoadStateDict(safetensorsPath);
        try
        {
            using var _ = no_grad();
            foreach (var (name, source) in loaded)
                if (target.TryGetValue(rename(name), out var t)) t.copy_(source.to(t.dtype, t.device));
        }
        finally
        {
            foreach (var tensor in loaded.Values) tensor.Dispose();
        }
        return new CheckpointLoadReport(missing, unexpected);
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
