using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using MLNetExt.Blt;
using MLNetExt.Blt.MLNet;
using MLNetExt.Blt.Training;
using static TorchSharp.torch;

namespace MLNetExt.Bench;

/// <summary>
/// BLTMIX: what a long row costs next to short ones. BltEmbeddings (Tiny preset, random weights, MaxBytes 4096, default
/// token budget, so the rows of a case form one model call) scores one long row of N bytes beside two short rows, then
/// the same rows one at a time; then one classifier training step (forward, loss, backward) over a 1,000-byte row and
/// seven short rows, and over eight short rows. Every case runs in a fresh child process; its cost is the peak resident
/// memory during the call over the resident memory just before (peak reset through /proc/self/clear_refs), the wall
/// time and the process CPU time (steadier on a shared machine), with one torch thread.
/// Last line <c>BLTMIX: peak(4096-byte row + 2 short rows) / max over those rows of peak(row alone)</c>, goal &lt;= 1.5.
/// </summary>
public sealed class BltMixBenchmark : IBenchmark
{
    const int ShortBytes = 40;
    const int TrainBytes = 1000;
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
        Console.WriteLine($"Tiny preset, random weights, short rows {ShortBytes} bytes; each case in a fresh process; cpu = process CPU seconds");
        Console.WriteLine("case                                          +MB   wall s    cpu s");
        var mixed = new Dictionary<int, double>();
        foreach (int n in Lengths) mixed[n] = Report($"score: {n,4}-byte row + 2 short rows", "mixed", n);
        double longAlone = Report($"score: {Lengths[^1],4}-byte row alone", "alone", Lengths[^1]);
        double shortAlone = Report($"score: {ShortBytes,4}-byte row alone", "alone", ShortBytes);
        Report($"train step: {TrainBytes,4}-byte row + 7 short rows", "train", TrainBytes);
        Report($"train step: 8 short rows", "train", ShortBytes);
        Console.WriteLine(FormattableString.Invariant($"{Id}: {mixed[Lengths[^1]] / Math.Max(longAlone, shortAlone):F3}"));
    }

    static double Report(string label, string kind, int bytes)
    {
        var (mb, wall, cpu) = RunChild(kind, bytes);
        Console.WriteLine(FormattableString.Invariant($"{label,-40} {mb,7:F0}  {wall,7:F2}  {cpu,7:F2}"));
        return mb;
    }

    /// <summary>Runs one case in a child process (this benchmark with --worker); returns its +MB and seconds.</summary>
    static (double Mb, double Wall, double Cpu) RunChild(string kind, int bytes)
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
        return (fields["mb"], fields["seconds"], fields["cpu"]);
    }

    static void RunWorker(string kind, int bytes)
    {
        set_num_threads(1);   // one torch thread: CPU time means work, not spinning, on a shared machine
        var ml = new MLContext(seed: 1);
        manual_seed(1);
        var rng = new Random(1);
        Action run;
        if (kind == "train")
        {
            // One classifier step (forward, loss, backward) as the trainer runs it; the long row, if any, comes first.
            var task = new BltClassificationTask(BltSource.Preset(BltSize.Tiny), classes: 2, pretrained: null);
            var model = task.CreateModel(CPU);
            var rows = Enumerable.Range(0, 8).Select(i => ByteTokenizer.Encode(Text(rng, i == 0 ? bytes : ShortBytes))).ToArray();
            var batch = new BltClassificationBatch(rows, rows.Select((_, i) => (long)(i % 2)).ToArray());
            Step(new BltClassificationBatch([ByteTokenizer.Encode(Text(rng, ShortBytes))], [0]));   // warm-up
            run = () => Step(batch);
            void Step(BltClassificationBatch b)
            {
                using var scope = NewDisposeScope();
                model.zero_grad();
                task.Loss(model, b, CPU).Sum.backward();
            }
        }
        else
        {
            var rows = kind == "mixed" ? new[] { Text(rng, ShortBytes), Text(rng, bytes), Text(rng, ShortBytes) } : [Text(rng, bytes)];
            var options = new BltEmbeddingsOptions { InputColumnName = "Text", Model = new BltModel(BltSource.Preset(BltSize.Tiny)), MaxBytes = 4096 };
            var model = ml.Transforms.Text.BltEmbeddings(options).Fit(ml.Data.LoadFromEnumerable(new[] { new Row() }));
            Score(ml, model, [Text(rng, ShortBytes)]);   // warm-up: native libraries loaded, first-call allocations done
            run = () => Score(ml, model, rows);
        }

        GC.Collect();
        File.WriteAllText("/proc/self/clear_refs", "5");   // resets VmHWM to the current resident size
        double before = Status("VmRSS");
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        run();
        double seconds = clock.Elapsed.TotalSeconds, cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        Console.WriteLine(FormattableString.Invariant($"result: mb={Status("VmHWM") - before:F1}, seconds={seconds:F3}, cpu={cpuSeconds:F3}"));
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
