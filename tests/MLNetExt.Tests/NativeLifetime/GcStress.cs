namespace MLNetExt.Tests.NativeLifetime;

/// <summary>
/// Runs work while another thread forces full collections and finalizers back to back: a native object left to the
/// finalizer (a temporary TorchSharp Scalar or Tensor) is then freed within microseconds, so a use-after-free that
/// takes hours to hit in a scoring job shows up in seconds.
/// </summary>
static class GcStress
{
    public static T Run<T>(Func<T> work)
    {
        using var stop = new CancellationTokenSource();
        long collections = 0;
        var collector = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                collections++;
            }
        }) { IsBackground = true };
        collector.Start();
        try
        {
            return work();
        }
        finally
        {
            stop.Cancel();
            collector.Join();
            Assert.IsGreaterThan(10L, collections, "the collector thread hardly ran; the stress proved nothing");
        }
    }
}
