using System.Text.Json;

namespace MLNetExt.Cli;

/// <summary>run.json in a run folder names the command that made it; the command keeps its own options beside it.</summary>
static class RunFolder
{
    const string File = "run.json";

    public static void Record(string runDirectory, string command)
    {
        Directory.CreateDirectory(runDirectory);
        System.IO.File.WriteAllText(Path.Combine(runDirectory, File), JsonSerializer.Serialize(new Dictionary<string, string> { ["command"] = command }));
    }

    public static string Command(string runDirectory)
    {
        string path = Path.Combine(runDirectory, File);
        if (!System.IO.File.Exists(path)) throw new FileNotFoundException($"{runDirectory} is not a run folder made by mlnetext: {File} is missing.", path);
        var fields = JsonSerializer.Deserialize<Dictionary<string, string>>(System.IO.File.ReadAllText(path));
        return fields is not null && fields.TryGetValue("command", out var command)
            ? command
            : throw new InvalidDataException($"{path} does not name a command.");
    }

    /// <summary>Runs a command body: clear one-line errors instead of stack traces, and a resume hint on Ctrl+C.</summary>
    public static int Guard(string runDirectory, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine($"stopped; a checkpoint was saved. Continue with: mlnetext resume {runDirectory}");
            return 130;
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or InvalidOperationException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
