using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.Training.Checkpoints;

/// <summary>Checkpoint tensors that did not line up with the model in a non-strict load.</summary>
internal sealed record TensorMatch(IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected);

/// <summary>
/// The one key/shape check and the one tensor reader for every weights file and zip entry (ModernBERT, BLT,
/// training checkpoints). Every name, shape and dtype is compared against the model first, from the validated
/// header alone, and one error lists every problem; only then are tensors read, one at a time, converted to each
/// parameter's dtype and device. Nothing else parses safetensors, so every failure names the source and tensor.
/// </summary>
internal static class SafetensorsLoader
{
    const int MaxListed = 20;
    const int ReadBuffer = 1 << 20;

    /// <summary>
    /// Compares the header with <paramref name="target"/> (name → tensor). <paramref name="rename"/> maps a checkpoint
    /// name to the model's; checkpoint names it maps to a key in <paramref name="ignore"/> are skipped (e.g. tied
    /// weights). Shape and dtype mismatches always throw; missing and unexpected tensors throw when <paramref name="strict"/>.
    /// </summary>
    public static TensorMatch Check(SafetensorsHeader header, IReadOnlyDictionary<string, Tensor> target, string targetName,
        bool strict = true, Func<string, string>? rename = null, IReadOnlySet<string>? ignore = null)
    {
        rename ??= name => name;
        var problems = new List<string>();
        var missing = new List<string>();
        var unexpected = new List<string>();
        var present = new HashSet<string>();
        foreach (var (name, entry) in header.Tensors)
        {
            string key = rename(name);
            present.Add(key);
            if (ignore?.Contains(key) == true) continue;
            if (!target.TryGetValue(key, out var t))
            {
                unexpected.Add(name);
                if (strict) problems.Add($"{name}: not in the model; checkpoint has {entry.Describe()}");
            }
            else if (!t.shape.SequenceEqual(entry.Shape))
                problems.Add($"{key}: model expects {Shape(t.shape)}, checkpoint has {Shape(entry.Shape)}");
            else if (Kind(t.dtype) != Kind(entry.ScalarType))
                problems.Add($"{key}: model expects {t.dtype} values, checkpoint has {entry.DType}");
        }
        foreach (var (key, t) in target)
        {
            if (present.Contains(key)) continue;
            missing.Add(key);
            if (strict) problems.Add($"{key}: model expects {Shape(t.shape)}, missing from the checkpoint");
        }
        if (problems.Count > 0)
        {
            var listed = problems.Take(MaxListed).ToList();
            if (problems.Count > MaxListed) listed.Add($"... and {problems.Count - MaxListed} more");
            throw new InvalidDataException($"Checkpoint {header.Source} does not match {targetName}:\n  " + string.Join("\n  ", listed));
        }
        return new TensorMatch(missing, unexpected);
    }

    /// <summary>Checks the file at <paramref name="path"/> against <paramref name="module"/>'s state dict, then loads it.</summary>
    public static TensorMatch Load(nn.Module module, string path, bool strict = true, Func<string, string>? rename = null, IReadOnlySet<string>? ignore = null) =>
        Load(module, SafetensorsHeader.Read(path), strict, rename, ignore);

    /// <summary>Loads a file whose header was already read (and checked against a config).</summary>
    public static TensorMatch Load(nn.Module module, SafetensorsHeader header, bool strict = true, Func<string, string>? rename = null, IReadOnlySet<string>? ignore = null)
    {
        using var stream = File.OpenRead(header.File ?? throw new ArgumentException($"{header.Source} is not a file; pass its stream.", nameof(header)));
        return Load(module, header, stream, strict, rename, ignore);
    }

    /// <summary>Checks <paramref name="header"/> (read from <paramref name="stream"/>) against <paramref name="module"/>'s state dict, then loads it.</summary>
    public static TensorMatch Load(nn.Module module, SafetensorsHeader header, Stream stream, bool strict = true,
        Func<string, string>? rename = null, IReadOnlySet<string>? ignore = null)
    {
        var target = module.state_dict();
        var match = Check(header, target, module.GetType().Name, strict, rename, ignore);
        rename ??= name => name;
        using var _ = no_grad();
        foreach (var (name, entry) in InFileOrder(header))
            if (ignore?.Contains(rename(name)) != true && target.TryGetValue(rename(name), out var t))
            {
                // Same dtype on the CPU: straight into the parameter's memory, no temporary.
                if (t.dtype == entry.ScalarType && t.device_type == DeviceType.CPU && t.is_contiguous()) ReadInto(t, header, stream, name, entry);
                else
                {
                    using var source = empty(entry.Shape, dtype: entry.ScalarType);
                    ReadInto(source, header, stream, name, entry);
                    t.copy_(source);
                }
            }
        return match;
    }

    /// <summary>Every tensor of the file at <paramref name="path"/>, in its stored dtype, on the CPU.</summary>
    public static Dictionary<string, Tensor> ReadAll(string path)
    {
        var header = SafetensorsHeader.Read(path);
        using var stream = File.OpenRead(path);
        var tensors = new Dictionary<string, Tensor>();
        try
        {
            foreach (var (name, entry) in InFileOrder(header)) tensors[name] = ReadTensor(header, stream, name, entry);
        }
        catch
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw;
        }
        return tensors;
    }

    public static string Shape(IEnumerable<long> shape) => $"[{string.Join(", ", shape)}]";

    // Reading in file order keeps a zip entry's temp file or a cold disk sequential.
    static IEnumerable<KeyValuePair<string, SafetensorsHeader.Entry>> InFileOrder(SafetensorsHeader header) =>
        header.Tensors.OrderBy(t => t.Value.Begin);

    static Tensor ReadTensor(SafetensorsHeader header, Stream stream, string name, SafetensorsHeader.Entry entry)
    {
        var tensor = empty(entry.Shape, dtype: entry.ScalarType);
        try { ReadInto(tensor, header, stream, name, entry); }
        catch
        {
            tensor.Dispose();
            throw;
        }
        return tensor;
    }

    static void ReadInto(Tensor tensor, SafetensorsHeader header, Stream stream, string name, SafetensorsHeader.Entry entry)
    {
        try
        {
            stream.Seek(header.DataStart + entry.Begin, SeekOrigin.Begin);
            tensor.ReadBytesFromStream(stream, ReadBuffer);
        }
        catch (IOException e)
        {
            throw new InvalidDataException($"Could not read tensor '{name}' ({entry.Describe()}) from {header.Source}: {e.Message}", e);
        }
    }

    enum ValueKind { Floating, Integer, Bool, Other }

    static ValueKind Kind(ScalarType t) => t switch
    {
        ScalarType.Float64 or ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16 => ValueKind.Floating,
        ScalarType.Int64 or ScalarType.Int32 or ScalarType.Int16 or ScalarType.Int8 or ScalarType.Byte => ValueKind.Integer,
        ScalarType.Bool => ValueKind.Bool,
        _ => ValueKind.Other,
    };
}
