namespace MLNetExt.Training.Telemetry;

/// <summary>The loss curve (and evaluation points) as a PNG, written at the end of training.</summary>
public static class LossPlot
{
    public static void Save(string path, IReadOnlyList<(long Step, double Loss)> train, IReadOnlyList<(long Step, double Loss)> eval)
    {
        var plot = new ScottPlot.Plot();
        var finite = train.Where(p => double.IsFinite(p.Loss)).ToArray();
        var line = plot.Add.Scatter(finite.Select(p => (double)p.Step).ToArray(), finite.Select(p => p.Loss).ToArray());
        line.LegendText = "train";
        line.MarkerSize = 0;
        if (eval.Count > 0)
        {
            var points = plot.Add.Scatter(eval.Select(p => (double)p.Step).ToArray(), eval.Select(p => p.Loss).ToArray());
            points.LegendText = "eval";
        }
        plot.XLabel("step");
        plot.YLabel("loss");
        plot.ShowLegend();
        plot.SavePng(path, 900, 500);
    }
}
