namespace MLNetExt.Tests;

/// <summary>
/// The read-only ../shared data folder (real tokenizer files, configs): $MLNETEXT_SHARED, else the first directory
/// above the test binaries that contains <c>shared/README.md</c> (CI: &lt;clone&gt;/../shared).
/// </summary>
internal static class SharedFolder
{
    public static string Path => Resolve.Value;

    public static string File(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    static readonly Lazy<string> Resolve = new(() =>
    {
        if (Environment.GetEnvironmentVariable("MLNETEXT_SHARED") is { Length: > 0 } fromEnv) return fromEnv;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = System.IO.Path.Combine(dir.FullName, "shared");
            if (System.IO.File.Exists(System.IO.Path.Combine(candidate, "README.md"))) return candidate;
        }
        throw new DirectoryNotFoundException($"No shared/README.md above {AppContext.BaseDirectory}; these tests need the shared data folder (or set MLNETEXT_SHARED).");
    });
}
