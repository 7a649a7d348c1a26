using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace MLNetExt.Training.MLNet;

/// <summary>
/// A thread-safe prediction engine for services: one instance takes single-row <see cref="Predict"/> calls from any
/// number of threads and gathers the concurrent ones into batches (dynamic micro-batching), each batch one pass of
/// the transformer over its rows, so a batching model (every MLNetExt model) scores them in a few packed model calls.
/// Every caller gets its own row's result: what ML.NET's <c>PredictionEngine</c> gives for that row, to the float
/// rounding the model documents between batch and single-row scoring (predicted labels equal).
/// Create it with <c>mlContext.Model.CreateMicroBatchPredictionEngine</c>.
/// </summary>
/// <remarks>
/// <para>One scorer thread takes the oldest request, then more until it has <see cref="MicroBatchPredictionEngineOptions.MaxBatchRows"/>
/// or <see cref="MicroBatchPredictionEngineOptions.MaxWait"/> has passed since that request arrived. While it scores,
/// new requests queue; at most <see cref="MicroBatchPredictionEngineOptions.QueueCapacity"/> wait, and callers beyond
/// that wait for a place (backpressure): <c>Predict</c> blocks, <c>PredictAsync</c> awaits and honours its token.</para>
/// <para>If a batch fails, each of its rows is scored again alone, so an error reaches only the callers whose rows
/// cause it, and everyone else still gets their own result.</para>
/// <para>Cancelling a <c>PredictAsync</c> token cancels that call at once; a queued request is then skipped.</para>
/// <para><see cref="Dispose"/> fails every queued or waiting request with <see cref="ObjectDisposedException"/>, lets
/// the batch being scored finish (its callers get their results), then returns; the transformer stays the caller's.
/// Dispose the engine when the service stops (a DI singleton is disposed at shutdown); until then it keeps its
/// scorer thread.</para>
/// <para>An input object is read when its batch is scored: don't change it until its call returns.</para>
/// </remarks>
public sealed class MicroBatchPredictionEngine<TSrc, TDst> : IDisposable
    where TSrc : class
    where TDst : class, new()
{
    readonly BatchScorer<TSrc, TDst> _scorer;
    readonly int _maxBatchRows;
    readonly long _maxWaitTicks;  // Stopwatch ticks
    readonly Queue<PendingPrediction<TSrc, TDst>> _queue = new();  // also the lock the scorer waits on
    readonly SemaphoreSlim _places;                                // free places in the queue
    readonly CancellationTokenSource _closing = new();             // wakes callers waiting for a place
    readonly Thread _thread;
    volatile bool _stopping;                                       // set once, under the queue lock

    internal MicroBatchPredictionEngine(IHostEnvironment env, ITransformer transformer, MicroBatchPredictionEngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(transformer);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _scorer = new BatchScorer<TSrc, TDst>(env, transformer, options);
        _maxBatchRows = options.MaxBatchRows;
        _maxWaitTicks = (long)(options.MaxWait.TotalSeconds * Stopwatch.Frequency);
        _places = new SemaphoreSlim(options.QueueCapacity, options.QueueCapacity);
        // A dedicated thread: scoring is long CPU work, and its waits must not depend on a busy thread pool.
        _thread = new Thread(Run) { IsBackground = true, Name = "MLNetExt micro-batch scorer" };
        _thread.Start();
    }

    /// <summary>Requests queued now, the batch being scored not counted.</summary>
    internal int Queued
    {
        get { lock (_queue) return _queue.Count; }
    }

    /// <summary>Scores one row, blocking until its batch is scored (or until the queue has a place, when it is full).</summary>
    /// <exception cref="ObjectDisposedException">The engine was disposed before the row was scored.</exception>
    public TDst Predict(TSrc example)
    {
        ArgumentNullException.ThrowIfNull(example);
        ObjectDisposedException.ThrowIf(_stopping, this);
        if (!_places.Wait(0))
        {
            try { _places.Wait(_closing.Token); }
            catch (OperationCanceledException) { throw Disposed(); }
        }
        var pending = new PendingPrediction<TSrc, TDst>(example, CancellationToken.None);
        Enqueue(pending);
        return pending.Task.GetAwaiter().GetResult();
    }

    /// <summary>Scores one row; the task completes when its batch is scored.</summary>
    /// <param name="cancellationToken">Cancels the call at once, whether it waits for a queue place, in the queue, or in a batch.</param>
    /// <exception cref="ObjectDisposedException">The engine was disposed before the row was scored.</exception>
    public Task<TDst> PredictAsync(TSrc example, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(example);
        ObjectDisposedException.ThrowIf(_stopping, this);
        if (cancellationToken.IsCancellationRequested) return Task.FromCanceled<TDst>(cancellationToken);
        if (_places.Wait(0)) return Queue(example, cancellationToken);
        return WaitForPlaceAndQueue(example, cancellationToken);
    }

    async Task<TDst> WaitForPlaceAndQueue(TSrc example, CancellationToken cancellationToken)
    {
        using (var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token))
        {
            try { await _places.WaitAsync(either.Token).ConfigureAwait(false); }
            catch (OperationCanceledException)
            {
                cancellationToken.ThrowIfCancellationRequested();
                throw Disposed();
            }
        }
        return await Queue(example, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Queues a request that holds a place.</summary>
    Task<TDst> Queue(TSrc example, CancellationToken cancellationToken)
    {
        var pending = new PendingPrediction<TSrc, TDst>(example, cancellationToken);
        Enqueue(pending);
        return pending.Task;
    }

    void Enqueue(PendingPrediction<TSrc, TDst> pending)
    {
        lock (_queue)
        {
            if (_stopping)
            {
                _places.Release();
                throw Disposed();
            }
            _queue.Enqueue(pending);
            Monitor.Pulse(_queue);
        }
    }

    void Run()
    {
        var batch = new List<PendingPrediction<TSrc, TDst>>(_maxBatchRows);
        while (Gather(batch))
        {
            Score(batch);
            batch.Clear();
        }
    }

    /// <summary>Waits for a request, then gathers more until the batch is full or the oldest has waited MaxWait. False once disposed.</summary>
    bool Gather(List<PendingPrediction<TSrc, TDst>> batch)
    {
        lock (_queue)
        {
            long deadline = 0;
            while (batch.Count < _maxBatchRows)
            {
                if (_queue.TryDequeue(out var next))
                {
                    _places.Release();
                    if (next.IsDone) continue;  // cancelled while queued
                    if (batch.Count == 0) deadline = next.Arrived + _maxWaitTicks;
                    batch.Add(next);
                    continue;
                }
                if (_stopping) break;
                if (batch.Count == 0)
                {
                    Monitor.Wait(_queue);
                    continue;
                }
                long left = deadline - Stopwatch.GetTimestamp();
                if (left <= 0) break;
                // Rounded up: a sub-millisecond wait would otherwise spin.
                Monitor.Wait(_queue, (int)Math.Ceiling(left * 1000.0 / Stopwatch.Frequency));
            }
            return batch.Count > 0;
        }
    }

    void Score(IReadOnlyList<PendingPrediction<TSrc, TDst>> batch)
    {
        TDst[] results;
        try
        {
            results = _scorer.Score(batch.Select(p => p.Input).ToArray());
        }
        catch (Exception error)
        {
            if (batch.Count == 1)
            {
                batch[0].Fail(error);
                return;
            }
            // Which row failed is unknown: scoring each alone gives every caller its own result or its own error.
            foreach (var pending in batch)
                if (!pending.IsDone) Score([pending]);
            return;
        }
        for (int i = 0; i < batch.Count; i++) batch[i].Complete(results[i]);
    }

    /// <summary>
    /// Fails every queued request and every caller waiting for a queue place with <see cref="ObjectDisposedException"/>,
    /// waits for the batch being scored (its callers get their results), and stops the scorer thread. Idempotent.
    /// </summary>
    public void Dispose()
    {
        lock (_queue)
        {
            if (_stopping) return;
            _stopping = true;
            while (_queue.TryDequeue(out var pending)) pending.Fail(Disposed());
            Monitor.PulseAll(_queue);
        }
        _closing.Cancel();
        if (Thread.CurrentThread != _thread) _thread.Join();
    }

    ObjectDisposedException Disposed() =>
        new(GetType().Name, "The micro-batch prediction engine was disposed before this request was scored.");
}
