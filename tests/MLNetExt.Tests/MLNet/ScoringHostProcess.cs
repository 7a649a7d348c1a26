using System.Diagnostics;

namespace MLNetExt.Tests.MLNet;

/// <summary>
/// Runs MLNetExt.ScoringHost in a new process with this test assembly's runtimeconfig and deps: the host itself
/// references no model, so ML.NET must find each loader from the assembly name saved in the zip.
/// </summary>
static class ScoringHostProcess
{
    public static void Run(string zip, string input, string output, IEnumerable<string> columns)
    {
        string bin = AppContext.BaseDirectory;
        string app = Path.GetFileNameWithoutExtension(typeof(ScoringHostProcess).Assembly.Location);
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        foreach (string arg in new[] { "exec", "--runtimeconfig", Path.Combine(bin, app + ".runtimeconfig.json"),
                     "--depsfile", Path.Combine(bin, app + ".deps.json"), Path.Combine(bin, "MLNetExt.ScoringHost.dll"), zip, input, output }.Concat(columns))
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        Assert.IsTrue(process.WaitForExit(120_000), "scoring host timed out");
        Assert.AreEqual(0, process.ExitCode, $"scoring host failed:\n{stdout.Result}\n{stderr.Result}");
    }
}

/// <summary>A temporary folder removed on dispose.</summary>
sealed class TempDir : IDisposable
{
    readonly string _path = Directory.CreateTempSubdirectory("mlnetext-").FullName;
    public string Path => _path;
    public string File(string name) => System.IO.Path.Combine(_path, name);
    public void Dispose() => Directory.Delete(_path, recursive: true);
}
