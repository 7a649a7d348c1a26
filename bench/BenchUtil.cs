using System.Diagnostics;

namespace MLNetExt.Bench;

static class BenchUtil
{
    /// <summary>Median seconds of <paramref name="runs"/> timed calls, after one warm-up call when asked.</summary>
    public static double Time(Action action, int runs, bool warmUp = true)
    {
        if (warmUp) action();
        var times = new List<double>();
        for (int i = 0; i < runs; i++)
        {
            var sw = Stopwatch.StartNew();
            action();
            times.Add(sw.Elapsed.TotalSeconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }

    /// <summary>Value of "--name value" in args, or the fallback.</summary>
    public static int Option(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, "--" + name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
    }
}
