using System.Text.Json;

namespace MLNetExt.Training.Telemetry;

/// <summary>
/// Appends one JSON object per line to metrics.jsonl: a step's <see cref="TrainingProgress"/>, or a warning.
/// Appending (not truncating) lets a resumed run continue the same file.
/// </summary>
public sealed class MetricsLog : IDisposable
{
    readonly StreamWriter _writer;

    public MetricsLog(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _writer = new StreamWriter(path, append: true) { AutoFlush = true };
    }

    public void Write(TrainingProgress p) => _writer.WriteLine(JsonSerializer.Serialize(new
    {
        step = p.Step,
        loss = Finite(p.Loss),
        lr = p.LearningRate,
        grad_norm = Finite(p.GradNorm),
        tokens = p.Tokens,
        tokens_per_s = p.TokensPerSecond,
        mfu = Finite(p.Mfu),
        eval_loss = p.EvalLoss is double e ? Finite(e) : null,
        elapsed_s = p.Elapsed.TotalSeconds,
    }));

    public void Warn(long step, string message) => _writer.WriteLine(JsonSerializer.Serialize(new { step, warning = message }));

    // JSON has no NaN/inf; null marks them.
    static double? Finite(double x) => double.IsFinite(x) ? x : null;

    public void Dispose() => _writer.Dispose();
}
