namespace MLNetExt.GpuRunner;

/// <summary>Command-line options shared by all runner commands.</summary>
/// <param name="Out">Folder that receives the journal and results.json.</param>
/// <param name="TorchLib">Folder holding libtorch*.so (PyTorch's torch/lib); null to use the normal search path.</param>
public sealed record RunnerArgs(string Out, string? TorchLib)
{
    public static RunnerArgs Parse(ReadOnlySpan<string> args)
    {
        string? output = null, torchLib = Environment.GetEnvironmentVariable("TORCH_LIB");
        for (int i = 0; i < args.Length; i++)
        {
            string value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"option {args[i]} needs a value");
            switch (args[i])
            {
                case "--out": output = value; break;
                case "--torch-lib": torchLib = value; break;
                default: throw new ArgumentException($"unknown option '{args[i]}' (expected --out or --torch-lib)");
            }
            i++;
        }
        return new RunnerArgs(output ?? throw new ArgumentException("--out <dir> is required"),
                              string.IsNullOrEmpty(torchLib) ? null : torchLib);
    }
}
