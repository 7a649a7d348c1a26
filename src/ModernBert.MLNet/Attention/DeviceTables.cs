using System.Collections.Concurrent;
using MLNetExt.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.ModernBert;

/// <summary>
/// Small constant tables kept on each device for the life of the process, so a batch's plan is built from them by a
/// few kernels instead of host loops and uploads: the local band pattern, key offsets, and rotary cos/sin per position.
/// </summary>
static class DeviceTables
{
    static readonly ConcurrentDictionary<(string Device, string Table, double A, long B, long C), Lazy<Tensor>> tables = new();

    static Tensor Get(Device device, string table, double a, long b, long c, Func<Tensor> make) =>
        tables.GetOrAdd((device.ToString(), table, a, b, c), _ => new Lazy<Tensor>(() =>
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            return make().DetachFromDisposeScope();
        })).Value;

    /// <summary>[1, 3 half]: key positions of a band row relative to its block start (-half .. 2 half - 1).</summary>
    public static Tensor KeyOffsets(Device device, int half) => Get(device, "key-offsets", 0, half, 0, () =>
    {
        using var start = (-half).ToScalar();
        using var stop = (2 * half).ToScalar();
        return arange(start, stop, Scalars.One, ScalarType.Int64, device).unsqueeze(0);
    });

    /// <summary>[1, 1, half, 3 half]: query p of a block sees key kp of its 3-block window iff |p + half - kp| &lt;= half.</summary>
    public static Tensor Band(Device device, int half) => Get(device, "band", 0, half, 0, () =>
    {
        using var lowest = 0.ToScalar();
        using var highest = (2 * half).ToScalar();
        var distance = Scalars.Arange(3 * half, device).unsqueeze(0).sub(Scalars.Arange(half, device).unsqueeze(1)); // kp - p
        return distance.ge(lowest).logical_and(distance.le(highest)).view(1, 1, half, 3 * half);
    });

    /// <summary>[maxPositions, 2 headDim] float32: cos, then signed sin (<see cref="Rotary.Tables"/>) for every position.</summary>
    public static Tensor Rotary(Device device, double theta, int headDim, int maxPositions) => Get(device, "rotary", theta, headDim, maxPositions, () =>
    {
        var (cos, sin) = ModernBert.Rotary.Tables(Scalars.Arange(maxPositions, device), headDim, theta);
        return cat([cos, sin], 1);
    });
}
