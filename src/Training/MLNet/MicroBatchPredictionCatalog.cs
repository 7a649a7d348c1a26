using Microsoft.ML.Data;
using MLNetExt.Training.MLNet;

// ML.NET's own extension packages put their catalog methods in Microsoft.ML, so `using Microsoft.ML;` is all a user needs.
namespace Microsoft.ML;

/// <summary>Serving fitted models from many threads, beside ML.NET's <c>mlContext.Model.CreatePredictionEngine</c>.</summary>
public static class MicroBatchPredictionCatalog
{
    /// <summary>
    /// A thread-safe engine for services: share one across all threads (ML.NET's <c>PredictionEngine</c> is not
    /// thread-safe). Concurrent single-row calls are gathered into batches of up to <paramref name="maxBatchRows"/>,
    /// waiting at most <paramref name="maxWait"/> (null: 2 ms) for company; up to <paramref name="queueCapacity"/>
    /// requests queue, and callers beyond that wait for a place. Works on any row-to-row <paramref name="transformer"/>
    /// (a whole fitted pipeline). Dispose it when the service stops.
    /// </summary>
    public static MicroBatchPredictionEngine<TSrc, TDst> CreateMicroBatchPredictionEngine<TSrc, TDst>(this ModelOperationsCatalog catalog,
        ITransformer transformer, int maxBatchRows = 64, TimeSpan? maxWait = null, int queueCapacity = 1024)
        where TSrc : class
        where TDst : class, new()
    {
        var options = new MicroBatchPredictionEngineOptions { MaxBatchRows = maxBatchRows, QueueCapacity = queueCapacity };
        return catalog.CreateMicroBatchPredictionEngine<TSrc, TDst>(transformer, maxWait is { } wait ? options with { MaxWait = wait } : options);
    }

    /// <summary>A thread-safe micro-batching engine with every option, schema definitions included.</summary>
    public static MicroBatchPredictionEngine<TSrc, TDst> CreateMicroBatchPredictionEngine<TSrc, TDst>(this ModelOperationsCatalog catalog,
        ITransformer transformer, MicroBatchPredictionEngineOptions options)
        where TSrc : class
        where TDst : class, new() =>
        new(CatalogUtils.GetEnvironment(catalog), transformer, options);
}
