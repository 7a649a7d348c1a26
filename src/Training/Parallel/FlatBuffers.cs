using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetExt.Training.Parallel;

/// <summary>
/// Where each parameter lives in one flat buffer: decayed parameters first (so weight decay covers one prefix), each
/// start aligned to <see cref="Alignment"/> elements for vectorised kernels, and bucket boundaries of about
/// <c>bucketBytes</c> at parameter edges for the reduction. The same layout serves the master and every replica.
/// </summary>
public sealed record BucketLayout(int[] Order, long[] Offsets, long[] BucketStarts, long[] BucketSizes, long DecayedLength, long Length)
{
    public const int Alignment = 16;

    public static BucketLayout Create(IReadOnlyList<Tensor> parameters, IReadOnlyList<bool> decay, long bucketBytes)
    {
        if (parameters.Count == 0) throw new ArgumentException("The model has no trainable parameters.", nameof(parameters));
        var order = Enumerable.Range(0, parameters.Count).OrderBy(i => decay[i] ? 0 : 1).ThenBy(i => i).ToArray();
        long maxElements = Math.Max(1, bucketBytes / sizeof(float));
        var offsets = new long[parameters.Count];
        var starts = new List<long> { 0 };
        long length = 0;
        foreach (int i in order)
        {
            // Start a new bucket when the next parameter would overflow this one; a huge parameter gets one of its own.
            if (length > starts[^1] && length + parameters[i].numel() - starts[^1] > maxElements) starts.Add(length);
            offsets[i] = length;
            length = Align(length + parameters[i].numel());
        }
        int firstUndecayed = Array.FindIndex(order, i => !decay[i]);
        long decayed = firstUndecayed < 0 ? length : offsets[order[firstUndecayed]];
        var sizes = starts.Select((s, b) => (b + 1 < starts.Count ? starts[b + 1] : length) - s).ToArray();
        return new BucketLayout(order, offsets, starts.ToArray(), sizes, decayed, length);
    }

    static long Align(long n) => (n + Alignment - 1) / Alignment * Alignment;
}

/// <summary>
/// One model copy's trainable parameters as views of one flat weight buffer, so copying weights between copies is one
/// (casting) copy; a copy built with <c>sharedWeights</c> reads another copy's buffer instead (same device and dtype).
/// Gradients: an fp32 copy's <c>.grad</c> are views of its flat fp32 gradient buffer and autograd accumulates straight
/// into it; a bf16 copy's are views of a flat bf16 buffer, added into the fp32 one after each micro-batch by one
/// casting kernel (<see cref="Collect"/>), so accumulation over micro-batches happens in fp32.
/// </summary>
public sealed class FlatBuffers : IDisposable
{
    readonly Tensor? _lowPrecisionGradients;
    readonly List<Tensor> _views = [];

    public Tensor Weights { get; }
    /// <summary>True when <see cref="Weights"/> belong to another copy (which owns and disposes them).</summary>
    public bool SharesWeights { get; }
    /// <summary>The flat fp32 gradient; null when built without gradients (a master that only holds weights).</summary>
    public Tensor? Gradients { get; }
    /// <summary>The reduction's buckets: views of <see cref="Gradients"/> (empty without gradients).</summary>
    public IReadOnlyList<Tensor> Buckets { get; }

    public FlatBuffers(IReadOnlyList<Parameter> parameters, BucketLayout layout, bool withGradients, FlatBuffers? sharedWeights = null)
    {
        var device = parameters[0].device;
        var dtype = parameters[0].dtype;
        SharesWeights = sharedWeights is not null;
        Weights = sharedWeights?.Weights ?? zeros(layout.Length, dtype, device); // zeros: alignment gaps stay 0 in every pass
        Gradients = withGradients ? zeros(layout.Length, ScalarType.Float32, device) : null;
        _lowPrecisionGradients = withGradients && dtype != ScalarType.Float32 ? zeros(layout.Length, dtype, device) : null;
        Buckets = Gradients is null ? [] : layout.BucketStarts.Select((s, b) => Gradients.narrow(0, s, layout.BucketSizes[b])).ToArray();
        using var _ = no_grad();
        for (int i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i];
            var weight = View(Weights, layout, i, p);
            if (!SharesWeights) weight.copy_(p);
            p.set_(weight);
            if ((_lowPrecisionGradients ?? Gradients) is Tensor grads) p.grad = View(grads, layout, i, p);
        }
    }

    Tensor View(Tensor flat, BucketLayout layout, int i, Tensor p)
    {
        var view = flat.narrow(0, layout.Offsets[i], p.numel()).view(p.shape);
        _views.Add(view);
        return view;
    }

    /// <summary>Before a backward: zeroes what autograd accumulates into (the bf16 buffer of a bf16 copy, else the fp32 one).</summary>
    public void ZeroGradients() => (_lowPrecisionGradients ?? Gradients)?.zero_();

    /// <summary>After a backward of a bf16 copy: its gradient into the fp32 buffer (cast for the first micro-batch, added after).</summary>
    public void Collect(bool first)
    {
        if (_lowPrecisionGradients is null || Gradients is null) return;
        using var _ = no_grad();
        if (first) Gradients.copy_(_lowPrecisionGradients);
        else Gradients.add_(_lowPrecisionGradients, Scalars.One);
    }

    /// <summary>True when autograd accumulates straight into <see cref="Gradients"/> (an fp32 copy): zero it once per step.</summary>
    public bool AccumulatesInPlace => _lowPrecisionGradients is null;

    public void Dispose()
    {
        foreach (var t in _views.Concat(Buckets)) t.Dispose();
        if (!SharesWeights) Weights.Dispose();
        Gradients?.Dispose();
        _lowPrecisionGradients?.Dispose();
    }
}
