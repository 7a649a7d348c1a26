using System.Diagnostics;

namespace MLNetExt.Training.MLNet;

/// <summary>
/// One caller's request waiting in a <see cref="MicroBatchPredictionEngine{TSrc, TDst}"/>: its input, when it
/// arrived, and the task its caller waits on. Cancelling the caller's token cancels the task at once, wherever the
/// request is; the scorer then skips it or drops its result.
/// </summary>
sealed class PendingPrediction<TSrc, TDst> : TaskCompletionSource<TDst>
{
    readonly CancellationToken _cancellation;
    readonly CancellationTokenRegistration _registration;

    // Continuations run on the thread pool, never on the scorer thread, so no caller's code delays the next batch.
    public PendingPrediction(TSrc input, CancellationToken cancellation) : base(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        Input = input;
        Arrived = Stopwatch.GetTimestamp();
        _cancellation = cancellation;
        _registration = cancellation.Register(static state => ((PendingPrediction<TSrc, TDst>)state!).Cancel(), this);
    }

    public TSrc Input { get; }

    /// <summary>When the request was queued, in <see cref="Stopwatch"/> ticks.</summary>
    public long Arrived { get; }

    /// <summary>Whether the caller has its answer already (only a cancellation completes a request before the scorer does).</summary>
    public bool IsDone => Task.IsCompleted;

    public void Complete(TDst result)
    {
        TrySetResult(result);
        _registration.Dispose();
    }

    public void Fail(Exception error)
    {
        TrySetException(error);
        _registration.Dispose();
    }

    void Cancel() => TrySetCanceled(_cancellation);
}
