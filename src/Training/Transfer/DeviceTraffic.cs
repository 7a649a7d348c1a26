using static TorchSharp.torch;

namespace MLNetExt.Training.Transfer;

/// <summary>
/// Counts host-device traffic on the training path: uploads of batch data and blocking reads of device values. A
/// read waits for every op queued before it, so a step's hot path makes none; the counts let tests hold that line.
/// </summary>
internal static class DeviceTraffic
{
    static long _uploads, _reads;

    public static long Uploads => Interlocked.Read(ref _uploads);
    public static long Reads => Interlocked.Read(ref _reads);

    public static void CountUpload() => Interlocked.Increment(ref _uploads);

    /// <summary>The values of <paramref name="t"/> on the host (one blocking copy).</summary>
    public static double[] Read(Tensor t)
    {
        Interlocked.Increment(ref _reads);
        using var scope = NewDisposeScope();
        return t.to_type(ScalarType.Float64).cpu().data<double>().ToArray();
    }
}
