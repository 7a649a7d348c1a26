using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.Training.Parallel;

/// <summary>Parses device names ("cpu", "cuda", "cuda:1") and checks they exist on this host.</summary>
public static class Devices
{
    public static Device[] Parse(IReadOnlyList<string> names)
    {
        if (names.Count == 0) throw new ArgumentException("At least one device is needed, e.g. \"cpu\" or \"cuda:0\".", nameof(names));
        return names.Select(ParseOne).ToArray();
    }

    static Device ParseOne(string name)
    {
        string trimmed = name.Trim().ToLowerInvariant();
        if (trimmed == "cpu") return CPU;
        if (trimmed == "cuda") trimmed = "cuda:0";
        if (!trimmed.StartsWith("cuda:", StringComparison.Ordinal) || !int.TryParse(trimmed[5..], out int index) || index < 0)
            throw new ArgumentException($"Unknown device '{name}': expected \"cpu\", \"cuda\" or \"cuda:N\". Present: {Present()}.");
        int count = cuda.is_available() ? cuda.device_count() : 0;
        if (index >= count)
            throw new ArgumentException($"Device '{name}' is not present on this host. Present: {Present()}.");
        return new Device(DeviceType.CUDA, index);
    }

    /// <summary>The devices this process can use, for error messages.</summary>
    public static string Present()
    {
        int count = cuda.is_available() ? cuda.device_count() : 0;
        return string.Join(", ", new[] { "cpu" }.Concat(Enumerable.Range(0, count).Select(i => $"cuda:{i}")));
    }
}
