using System.Diagnostics;
using Spectre.Console;

namespace BatchScoring;

/// <summary>Shows scoring progress: a Spectre.Console bar on a terminal, a plain line every few seconds otherwise.</summary>
static class ScoringConsole
{
    public static BatchScoringResult Run(long totalRows, Func<IProgress<long>, BatchScoringResult> score)
    {
        if (Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
            return score(new Rate(TimeSpan.FromSeconds(5), (rows, perSecond) =>
                Console.WriteLine($"  {rows:N0} / {totalRows:N0} rows ({rows / (double)Math.Max(totalRows, 1):P1}), {perSecond:N1} rows/s")));
        return AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("scoring", maxValue: Math.Max(totalRows, 1));
                var result = score(new Rate(TimeSpan.FromMilliseconds(250), (rows, perSecond) =>
                {
                    task.Value = rows;
                    task.Description = $"{rows:N0}/{totalRows:N0} rows, {perSecond:N1} rows/s";
                }));
                task.Value = result.RowsResumed + result.RowsScored;
                return result;
            });
    }

    /// <summary>Calls <paramref name="show"/> at most once per <paramref name="every"/> with the rows and this run's rows per second.</summary>
    sealed class Rate(TimeSpan every, Action<long, double> show) : IProgress<long>
    {
        readonly Stopwatch _clock = Stopwatch.StartNew();
        long? _first;
        TimeSpan _shown;

        public void Report(long rows)
        {
            _first ??= rows - 1;
            if (_clock.Elapsed - _shown < every) return;
            _shown = _clock.Elapsed;
            show(rows, (rows - _first.Value) / _clock.Elapsed.TotalSeconds);
        }
    }
}
