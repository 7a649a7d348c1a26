using Spectre.Console;

namespace MLNetExt.Training.Telemetry;

/// <summary>
/// Training output for people: a live Spectre.Console progress bar when stdout is a terminal, a plain line every
/// few steps when it is redirected (logs, CI), nothing when disabled.
/// </summary>
public abstract class ConsoleReporter
{
    public abstract void Report(TrainingProgress p);
    public abstract void Warn(string message);

    /// <summary>Runs <paramref name="training"/> with the reporter that suits the console.</summary>
    public static void Run(bool enabled, int plainEvery, long firstStep, long totalSteps, Action<ConsoleReporter> training)
    {
        if (!enabled) { training(new Silent()); return; }
        if (Console.IsOutputRedirected) { training(new Plain(Math.Max(1, plainEvery))); return; }
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("training", maxValue: totalSteps);
                task.Value = firstStep;
                training(new Live(task));
            });
    }

    static string Line(TrainingProgress p) =>
        $"step {p.Step}/{p.TotalSteps} loss {p.Loss:F4} lr {p.LearningRate:E2} |g| {p.GradNorm:F3} {p.TokensPerSecond:N0} tok/s" +
        (double.IsNaN(p.Mfu) ? "" : $" mfu {p.Mfu:P1}") + (p.EvalLoss is double e ? $" eval {e:F4}" : "");

    sealed class Silent : ConsoleReporter
    {
        public override void Report(TrainingProgress p) { }
        public override void Warn(string message) { }
    }

    sealed class Plain(int every) : ConsoleReporter
    {
        public override void Report(TrainingProgress p)
        {
            if (p.Step % every == 0 || p.Step == p.TotalSteps || p.EvalLoss is not null) Console.WriteLine(Line(p));
        }

        public override void Warn(string message) => Console.WriteLine("warning: " + message);
    }

    sealed class Live(ProgressTask task) : ConsoleReporter
    {
        public override void Report(TrainingProgress p)
        {
            task.Value = p.Step;
            task.Description = Markup.Escape(Line(p));
        }

        public override void Warn(string message) => AnsiConsole.MarkupLine($"[yellow]warning:[/] {Markup.Escape(message)}");
    }
}
