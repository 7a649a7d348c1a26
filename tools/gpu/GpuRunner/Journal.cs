using System.Text.Json;
using System.Text.Json.Nodes;

namespace MLNetExt.GpuRunner;

/// <summary>
/// Append-only record of a run, one JSON object per line, flushed after every line. A missing libtorch symbol
/// kills the process (the dynamic loader exits on a failed lazy binding, no exception reaches .NET), so every
/// step writes "start" before it runs and "done" after. Reopening the journal marks a step that started but never
/// finished as crashed, and <see cref="ShouldRun"/> skips everything already recorded: rerunning the command resumes.
/// </summary>
public sealed class Journal : IDisposable
{
    /// <summary>The journal every runner command shares (runner.jsonl), so one file holds the whole run.</summary>
    public const string RunnerName = "runner";

    readonly string _path;
    readonly Dictionary<string, JsonObject> _done = new();
    readonly StreamWriter _writer;

    public Journal(string folder, string name)
    {
        Directory.CreateDirectory(folder);
        _path = Path.Combine(folder, name + ".jsonl");
        var started = new List<string>();
        if (File.Exists(_path))
        {
            foreach (string line in File.ReadLines(_path).Where(l => l.Length > 0))
            {
                // A line cut short by the crash is not valid JSON: skip it.
                if (TryParse(line) is not JsonObject record) continue;
                string key = record["key"]!.GetValue<string>();
                if (record["phase"]!.GetValue<string>() == "start") started.Add(key);
                else _done[key] = record;
            }
        }
        _writer = new StreamWriter(_path, append: true) { AutoFlush = true };
        if (_writer.BaseStream.Position > 0) _writer.WriteLine();   // end a line the crash may have cut short
        foreach (string key in started.Where(k => !_done.ContainsKey(k)).Distinct())
            Done(key, new JsonObject { ["ok"] = false, ["error"] = "process died during this step (native crash or missing libtorch symbol)" });
    }

    public bool ShouldRun(string key) => !_done.ContainsKey(key);

    /// <summary>Runs a step not yet recorded, journalling its start and its result (an exception becomes ok = false).</summary>
    public void Run(string key, Func<JsonObject> body)
    {
        if (!ShouldRun(key)) return;
        Start(key);
        JsonObject result;
        try
        {
            result = body();
        }
        catch (Exception e)
        {
            result = new JsonObject { ["ok"] = false, ["error"] = $"{e.GetType().Name}: {e.Message}" };
        }
        Done(key, result);
    }

    /// <summary>The result of a finished step, or null.</summary>
    public JsonObject? Result(string key) => _done.GetValueOrDefault(key);

    public void Start(string key) => Write(new JsonObject { ["phase"] = "start", ["key"] = key });

    public void Done(string key, JsonObject fields)
    {
        fields["phase"] = "done";
        fields["key"] = key;
        _done[key] = fields;
        Write(fields);
    }

    /// <summary>Every finished step, in the order first recorded, as one JSON document.</summary>
    public void WriteSummary(string file)
    {
        var steps = new JsonArray(_done.Values.Select(r => (JsonNode)r.DeepClone()).ToArray());
        File.WriteAllText(file, new JsonObject { ["steps"] = steps }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    public void Dispose() => _writer.Dispose();

    void Write(JsonObject record)
    {
        _writer.WriteLine(record.ToJsonString());
        Console.WriteLine(record.ToJsonString());
    }

    static JsonNode? TryParse(string line)
    {
        try { return JsonNode.Parse(line); }
        catch (JsonException) { return null; }
    }
}
