using Microsoft.ML;

namespace BatchScoring;

/// <summary>The command line's work: load the model, score the file with progress, stop cleanly on Ctrl+C.</summary>
static class ScoreCommand
{
    public static int Run(string modelPath, string inputPath, string outputPath, BatchScoringOptions options)
    {
        var mlContext = new MLContext(seed: 1);
        var transformer = mlContext.Model.Load(modelPath, out var inputSchema);
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        long total = BatchScorer.CountRows(inputPath);
        Console.WriteLine($"Scoring {inputPath} ({total:N0} rows) with {modelPath} into {outputPath}");
        try
        {
            var result = ScoringConsole.Run(total, progress => BatchScorer.Score(mlContext, transformer, inputSchema, inputPath, outputPath, options, progress, stop.Token));
            Console.WriteLine($"Scored {result.RowsScored:N0} rows in {result.Elapsed.TotalSeconds:F1}s ({result.RowsPerSecond:N1} rows/s)" +
                (result.RowsResumed > 0 ? $", after {result.RowsResumed:N0} rows done by an earlier run." : "."));
            return 0;
        }
        catch (OperationCanceledException)
        {
            Console.WriteLine("Stopped; the rows written so far are committed. Run the same command again to resume.");
            return 130;
        }
    }
}
