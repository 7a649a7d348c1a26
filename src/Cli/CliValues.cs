using MLNetExt.Training;

namespace MLNetExt.Cli;

/// <summary>Option values shared by the training commands.</summary>
static class CliValues
{
    /// <summary>"cpu,cpu" -> ["cpu", "cpu"]; null stays null.</summary>
    public static IReadOnlyList<string>? Devices(string? list) =>
        list?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) is { Length: > 0 } devices ? devices
        : list is null ? null : throw new ArgumentException($"--devices '{list}' names no device; expected e.g. cpu or cpu,cpu or cuda:0,cuda:1.");

    public static TrainingPrecision Precision(string name) => name switch
    {
        "fp32" => TrainingPrecision.Float32,
        "bf16" => TrainingPrecision.BFloat16,
        _ => throw new ArgumentException($"--precision '{name}': expected fp32 or bf16."),
    };

    public static void PrintSummary(long steps, double tokensPerSecond, double mfu, string final)
    {
        Console.WriteLine($"trained to step {steps}: {tokensPerSecond:N0} tokens/s" + (double.IsNaN(mfu) ? "" : $", MFU {mfu:P2}") + " (mean over steps, first left out)");
        Console.WriteLine($"model: {final}");
    }
}
