using System.Globalization;

namespace MLNetExt.GpuRunner;

/// <summary>Command-line options: <c>--out</c> and <c>--torch-lib</c> for every command, other <c>--name value</c> pairs per command.</summary>
/// <param name="Out">Folder that receives the journal and results.json.</param>
/// <param name="TorchLib">Folder holding libtorch*.so (PyTorch's torch/lib); null to use the normal search path.</param>
/// <param name="Options">The other options, by name without the dashes.</param>
public sealed record RunnerArgs(string Out, string? TorchLib, IReadOnlyDictionary<string, string> Options)
{
    public static RunnerArgs Parse(ReadOnlySpan<string> args)
    {
        string? output = null, torchLib = Environment.GetEnvironmentVariable("TORCH_LIB");
        var options = new Dictionary<string, string>();
        for (int i = 0; i < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"expected an option (--name value), got '{args[i]}'");
            string value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"option {args[i]} needs a value");
            switch (args[i])
            {
                case "--out": output = value; break;
                case "--torch-lib": torchLib = value; break;
                default: options[args[i][2..]] = value; break;
            }
        }
        return new RunnerArgs(output ?? throw new ArgumentException("--out <dir> is required"),
                              string.IsNullOrEmpty(torchLib) ? null : torchLib, options);
    }

    public string Text(string name, string fallback) => Options.TryGetValue(name, out var v) ? v : fallback;

    public double Number(string name, double fallback) =>
        !Options.TryGetValue(name, out var v) ? fallback
        : double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) ? x
        : throw new ArgumentException($"option --{name} expects a number, got '{v}'");
}
