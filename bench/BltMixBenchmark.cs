using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using MLNetExt.Blt;
using MLNetExt.Blt.MLNet;
using static TorchSharp.torch;

namespace MLNetExt.Bench;

/// <summary>
/// BLTMIX: what a long row costs next to short ones. BltEmbeddings (Tiny preset, random weights, MaxBytes 4096, default
/// token budget, so the rows of a case form one model call) scores one long row of N bytes beside two short rows, then
/// the same rows one at a time. Every case runs in a fresh child process; its cost is the peak resident memory while
/// scoring over the resident memory just before (peak reset through /proc/self/clear_refs), and the wall time.
/// Last line <c>BLTMIX: peak(4096-byte row + 2 short rows) / max over those rows of peak(row alone)</c>, goal &lt;= 1.5.
/// </summary>
public sealed class BltMixBenchmark : IBenchmark
{
    const int ShortBytes = 40;
    static readonly int[] Lengths = [256, 512, 1024, 2048, 4096];

    public string Id => "BLTMIX";
    public string Description => "BltEmbeddings peak memory of a 4 KB row scored beside 2 short rows / the rows scored alone (goal <= 1.5)";

    sealed class Row
    {
        public string Text { get; set; } = "";
    }

    public void Run(string[] args)
    {
        int worker = Array.IndexOf(args, "--worker");
        if (worker >= 0)
        {
            RunWorker(args[worker + 1], int.Parse(args[worker + 2], CultureInfo.InvariantCulture));
            return;
        }
        Console.WriteLine($"BltEmbeddings, Tiny preset, MaxBytes 4096, short rows {ShortBytes} bytes; each case in a fresh process");
        Console.WriteLine("case                            +MB     seconds");
        var mixed = new Dictionary<int, double>();
        foreach (int n in Lengths)
        {
            var (mb, seconds) = RunChild("mixed", n);
            mixed[n] = mb;
            Console.WriteLine(FormattableString.Invariant($"{n,4}-byte row + 2 short rows   {mb,7:F0}  {seconds,7:F2}"));
        }
        var (longAlone, longSeconds) = RunChild("alone", Lengths[^1]);
        var (shortAlone, shortSeconds) = RunChild("alone", ShortBytes);
        Console.WriteLine(FormattableString.Invariant($"{Lengths[^1],4}-byte row alone              {longAlone,7:F0}  {longSeconds,7:F2}"));
        Console.WriteLine(FormattableString.Invariant($"{ShortBytes,4}-byte row alone              {shortAlone,7:F0}  {shortSeconds,7:F2}"));
        Console.WriteLine(FormattableString.Invariant($"{Id}: {mixed[Lengths[^1]] / Math.Max(longAlone, shortAlone):F3}"));
    }

    /// <summary>Runs one case in a child process (this benchmark with --worker); returns its +MB and seconds.</summary>
    static (double Mb, double Seconds) RunChild(string kind, int bytes)
    {
        string self = typeof(BltMixBenchmark).Assembly.Location;
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") start.ArgumentList.Add(self);
        foreach (string a in (string[])["BLTMIX", "--worker", kind, bytes.ToString(CultureInfo.InvariantCulture)]) start.ArgumentList.Add(a);
        using var child = Process.Start(start)!;
        string? result = null;
        while (child.StandardOutput.ReadLine() is string line)
            if (line.StartsWith("result:", StringComparison.Ordinal)) result = line;
        child.WaitForExit();
        if (child.ExitCode != 0 || result is null) throw new InvalidOperationException($"BLTMIX case {kind} {bytes} failed (exit code {child.ExitCode}).");
        var fields = result["result:".Length..].Split(',', StringSplitOptions.TrimEntries).Select(f => f.Split('=')).ToDictionary(f => f[0], f => double.Parse(f[1], CultureInfo.InvariantCulture));
        return (fields["mb"], fields["seconds"]);
    }

    static void RunWorker(string kind, int bytes)
    {
        set_num_threads(Math.Max(1, Environment.ProcessorCount));
        var ml = new MLContext(seed: 1);
        manual_seed(1);
        var rng = new Random(1);
        var rows = kind == "mixed" ? new[] { Text(rng, ShortBytes), Text(rng, bytes), Text(rng, ShortBytes) } : [Text(rng, bytes)];
        var options = new BltEmbeddingsOptions { InputColumnName = "Text", Model = new BltModel(BltPresets.Config(BltPreset.Tiny)), MaxBytes = 4096 };
        var model = ml.Transforms.Text.BltEmbeddings(options).Fit(ml.Data.LoadFromEnumerable(new[] { new Row() }));
        Score(ml, model, [Text(rng, ShortBytes)]);   // warm-up: native libraries loaded, first-call allocations done

        GC.Collect();
        File.WriteAllText("/proc/self/clear_refs", "5");   // resets VmHWM to the current resident size
        double before = Status("VmRSS");
        var clock = Stopwatch.StartNew();
        Score(ml, model, rows);
        double seconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine(FormattableString.Invariant($"result: mb={Status("VmHWM") - before:F1}, seconds={seconds:F3}"));
    }

    static void Score(MLContext ml, ITransformer model, string[] texts)
    {
        var scored = model.Transform(ml.Data.LoadFromEnumerable(texts.Select(t => new Row { Text = t })));
        var features = ml.Data.CreateEnumerable<Output>(scored, reuseRowObject: false).ToList();
        if (features.Count != texts.Length) throw new InvalidOperationException("rows lost");
    }

    sealed class Output
    {
        public float[] Features { get; set; } = [];
    }

    /// <summary>Words of 1-9 lowercase letters separated by spaces: space patching cuts ordinary patches.</summary>
    static string Text(Random rng, int bytes)
    {
        var chars = new char[bytes];
        for (int i = 0; i < bytes; i++) chars[i] = rng.Next(6) == 0 ? ' ' : (char)('a' + rng.Next(26));
        return new string(chars);
    }

    /// <summary>A /proc/self/status field in MB.</summary>
    static double Status(string field) =>
        double.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
}
