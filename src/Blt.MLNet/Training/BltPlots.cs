using ScottPlot;
using static TorchSharp.torch;

namespace MLNetExt.Blt.Training;

/// <summary>Pictures of how a BLT patches text.</summary>
public static class BltPlots
{
    /// <summary>
    /// PNG of <paramref name="text"/>'s per-byte entropies under <paramref name="model"/>'s entropy model, a dashed
    /// line at its patching threshold and a vertical line where each patch starts. Entropy at byte t is the entropy of
    /// the prediction of byte t (made at t - 1), which is what decides whether t starts a patch.
    /// </summary>
    public static void EntropyPlot(string path, BltModel model, string text)
    {
        var entropyModel = model.EntropyModel ?? throw new InvalidOperationException("The model has no entropy model (patch_in_forward = false) to plot.");
        var ids = ByteTokenizer.Encode(text);
        using var scope = NewDisposeScope();
        var entropies = entropyModel.Entropies(BltBatch.ForInference([ids])).cpu().data<float>().ToArray();
        EntropyPlot(path, ids, entropies, model.Patcher.PatchStarts(ids, entropies), model.Patcher.Threshold);
    }

    /// <param name="path">PNG to write</param>
    /// <param name="ids">one document's byte ids (BOS first)</param>
    /// <param name="entropies">entropies[t] of the prediction made at t, one per id</param>
    /// <param name="starts">patch start flags, one per id (a trailing extra flag is ignored)</param>
    /// <param name="threshold">the patching threshold in nats</param>
    public static void EntropyPlot(string path, IReadOnlyList<long> ids, IReadOnlyList<float> entropies, IReadOnlyList<bool> starts, double threshold)
    {
        if (entropies.Count != ids.Count || starts.Count < ids.Count)
            throw new ArgumentException($"Need one entropy and one start flag per id: {ids.Count} ids, {entropies.Count} entropies, {starts.Count} flags.");
        if (ids.Count < 2) throw new ArgumentException("Need at least two ids (BOS and a byte) to plot.", nameof(ids));
        var plot = new Plot();
        // Byte t is predicted at t - 1, so its entropy is entropies[t - 1].
        var xs = Enumerable.Range(1, ids.Count - 1).Select(t => (double)t).ToArray();
        var line = plot.Add.Scatter(xs, xs.Select(x => (double)entropies[(int)x - 1]).ToArray());
        line.LegendText = "entropy of the byte (nats)";
        for (int t = 1; t < ids.Count; t++)
        {
            if (!starts[t]) continue;
            var boundary = plot.Add.VerticalLine(t - 0.5);
            boundary.Color = Colors.Gray.WithAlpha(0.6);
            boundary.LineWidth = 1;
        }
        var bar = plot.Add.HorizontalLine(threshold);
        bar.Color = Colors.Red;
        bar.LinePattern = LinePattern.Dashed;
        bar.LegendText = $"threshold {threshold:F3}";
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (int t = 1; t < ids.Count; t++) ticks.AddMajor(t, Label(ids[t]));
        plot.Axes.Bottom.TickGenerator = ticks;
        plot.Title($"{starts.Take(ids.Count).Count(s => s)} patches over {ids.Count} bytes (gray: patch starts)");
        plot.YLabel("nats");
        plot.ShowLegend();
        plot.SavePng(path, Math.Max(800, 14 * ids.Count), 420);
    }

    static string Label(long id) => id switch
    {
        ByteTokenizer.Eos => "EOS",
        >= ByteTokenizer.Offset and < ByteTokenizer.Offset + 128 when id - ByteTokenizer.Offset is >= 33 and < 127 => ((char)(id - ByteTokenizer.Offset)).ToString(),
        >= ByteTokenizer.Offset when id - ByteTokenizer.Offset == ' ' => "␣",
        _ => $"{id - ByteTokenizer.Offset:X2}",
    };
}
