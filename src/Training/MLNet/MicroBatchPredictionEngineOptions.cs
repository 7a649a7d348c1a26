using Microsoft.ML.Data;

namespace MLNetExt.Training.MLNet;

/// <summary>
/// How a <see cref="MicroBatchPredictionEngine{TSrc, TDst}"/> gathers concurrent requests into batches, and how it binds
/// the input and output types (as ML.NET's <c>PredictionEngineOptions</c> does). Checked when the engine is created.
/// </summary>
public sealed record MicroBatchPredictionEngineOptions
{
    // A batch is held in memory at once, and no request should wait for company longer than a minute.
    internal const int MaxBatchRowsLimit = 65_536;

    internal static readonly TimeSpan MaxWaitLimit = TimeSpan.FromMinutes(1);

    /// <summary>Most requests one batch (one pass of the transformer) takes, 1 to 65,536; default 64.</summary>
    public int MaxBatchRows { get; init; } = 64;

    /// <summary>
    /// Longest a partial batch waits for more requests, counted from its oldest request's arrival; 0 to 1 minute;
    /// default 2 ms. A full batch goes at once. Zero takes whatever is queued when the scorer is free;
    /// a few milliseconds let threads that were answered together come back into one batch.
    /// </summary>
    public TimeSpan MaxWait { get; init; } = TimeSpan.FromMilliseconds(2);

    /// <summary>
    /// Most requests waiting to be scored (the batch being scored not counted), at least 1; default 1,024. When it is full,
    /// <c>Predict</c> blocks and <c>PredictAsync</c> waits (cancellably) until a place frees: backpressure, nothing is dropped.
    /// </summary>
    public int QueueCapacity { get; init; } = 1024;

    /// <summary>Whether output members without a matching column are left unset (true, PredictionEngine's default) or fail.</summary>
    public bool IgnoreMissingColumns { get; init; } = true;

    /// <summary>How the input type maps to columns; null infers it from the type.</summary>
    public SchemaDefinition? InputSchemaDefinition { get; init; }

    /// <summary>How columns map to the output type; null infers it from the type.</summary>
    public SchemaDefinition? OutputSchemaDefinition { get; init; }

    internal void Validate()
    {
        if (MaxBatchRows is < 1 or > MaxBatchRowsLimit)
            throw new ArgumentOutOfRangeException(nameof(MaxBatchRows), MaxBatchRows, $"{nameof(MaxBatchRows)} must be between 1 and {MaxBatchRowsLimit}.");
        if (MaxWait < TimeSpan.Zero || MaxWait > MaxWaitLimit)
            throw new ArgumentOutOfRangeException(nameof(MaxWait), MaxWait, $"{nameof(MaxWait)} must be between 0 and {MaxWaitLimit}.");
        if (QueueCapacity < 1)
            throw new ArgumentOutOfRangeException(nameof(QueueCapacity), QueueCapacity, $"{nameof(QueueCapacity)} must be at least 1.");
    }
}
