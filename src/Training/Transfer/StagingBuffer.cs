using System.Buffers;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.Training.Transfer;

/// <summary>A run of a <see cref="StagingBuffer"/>; after the upload, <see cref="Of"/> is its view on the device.</summary>
internal readonly record struct Segment(int Offset, int Length)
{
    public Tensor Of(Tensor uploaded) => uploaded.narrow(0, Offset, Length);
}

/// <summary>
/// All of a batch's host integers in one int64 buffer, moved to the device in one copy: through pinned memory and
/// non-blocking on CUDA (the copy queues behind the running kernels instead of waiting for them), a plain copy on the
/// CPU. Filling it needs no torch, so it can happen on a worker thread; the buffer comes from a pool and goes back on
/// <see cref="Dispose"/>, so planning a batch allocates next to nothing.
/// </summary>
internal sealed class StagingBuffer : IDisposable
{
    long[] _data;
    int _length;

    public StagingBuffer(int capacity) => _data = ArrayPool<long>.Shared.Rent(Math.Max(capacity, 16));

    public int Length => _length;

    /// <summary>Room for <paramref name="count"/> values at the end; fill the span before the upload.</summary>
    public Span<long> Reserve(int count, out Segment segment)
    {
        if (_length + count > _data.Length)
        {
            var larger = ArrayPool<long>.Shared.Rent(Math.Max(_length + count, 2 * _data.Length));
            _data.AsSpan(0, _length).CopyTo(larger);
            ArrayPool<long>.Shared.Return(_data);
            _data = larger;
        }
        segment = new Segment(_length, count);
        _length += count;
        return _data.AsSpan(segment.Offset, count);
    }

    public Segment Append(ReadOnlySpan<long> values)
    {
        values.CopyTo(Reserve(values.Length, out var segment));
        return segment;
    }

    public Segment Append(ReadOnlySpan<int> values)
    {
        var span = Reserve(values.Length, out var segment);
        for (int i = 0; i < values.Length; i++) span[i] = values[i];
        return segment;
    }

    /// <summary>The buffer as one int64 tensor [Length] on <paramref name="device"/> (counted by <see cref="DeviceTraffic"/>).</summary>
    public Tensor Upload(Device device)
    {
        DeviceTraffic.CountUpload();
        // frombuffer shares the pooled array, so the result must be a copy before the array goes back to the pool.
        using var host = frombuffer(_data, ScalarType.Int64, Math.Max(_length, 1));
        if (device.type != DeviceType.CUDA) return host.clone();
        // PyTorch's pinned-memory cache keeps the block until the queued copy has read it, so it can be released here.
        using var pinned = host.pin_memory();
        return pinned.to(device, non_blocking: true);
    }

    public void Dispose()
    {
        if (_data.Length == 0) return;
        ArrayPool<long>.Shared.Return(_data);
        _data = [];
    }
}
