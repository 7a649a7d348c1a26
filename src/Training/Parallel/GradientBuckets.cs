using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetExt.Training.Parallel;

/// <summary>
/// One replica's gradients in flat fp32 buffers of about <c>bucketBytes</c> each, so a reduction moves a few large
/// blocks instead of one message per parameter. When the replica itself is fp32 its parameters' <c>.grad</c> are
/// set to views into the buckets and autograd accumulates straight into them; a bf16 replica's gradients are
/// copied up into the buckets after backward.
/// </summary>
public sealed class GradientBuckets : IDisposable
{
    readonly Parameter[] _params;
    readonly Tensor[] _views;
    readonly bool _sharesStorage;

    /// <summary>The flat fp32 buffers, in parameter order.</summary>
    public IReadOnlyList<Tensor> Buckets { get; }
    /// <summary>Per parameter, an fp32 view into its bucket shaped like the parameter.</summary>
    public IReadOnlyList<Tensor> Views => _views;

    public GradientBuckets(IReadOnlyList<Parameter> parameters, long bucketBytes)
    {
        _params = parameters.ToArray();
        if (_params.Length == 0) throw new ArgumentException("The model has no trainable parameters.", nameof(parameters));
        var device = _params[0].device;
        long maxElements = Math.Max(1, bucketBytes / sizeof(float));
        var buckets = new List<Tensor>();
        _views = new Tensor[_params.Length];
        // Greedy: fill a bucket until the next parameter would overflow it (a huge parameter gets its own).
        for (int start = 0; start < _params.Length;)
        {
            int end = start;
            long size = 0;
            while (end < _params.Length && (end == start || size + _params[end].numel() <= maxElements)) size += _params[end++].numel();
            var bucket = zeros(size, ScalarType.Float32, device);
            long offset = 0;
            for (int i = start; i < end; i++)
            {
                _views[i] = bucket.narrow(0, offset, _params[i].numel()).view(_params[i].shape);
                offset += _params[i].numel();
            }
            buckets.Add(bucket);
            start = end;
        }
        Buckets = buckets;
        _sharesStorage = _params[0].dtype == ScalarType.Float32;
        if (_sharesStorage)
            for (int i = 0; i < _params.Length; i++) _params[i].grad = _views[i];
    }

    public void Zero()
    {
        foreach (var b in Buckets) b.zero_();
    }

    /// <summary>After backward: copies a low-precision replica's gradients up into the fp32 buckets.</summary>
    public void Collect()
    {
        if (_sharesStorage) return;
        using var _ = no_grad();
        for (int i = 0; i < _params.Length; i++)
        {
            var g = _params[i].grad;
            if (g is null) continue;
            _views[i].copy_(g);
            _params[i].grad = null;
        }
    }

    public void Dispose()
    {
        foreach (var b in Buckets) b.Dispose();
        foreach (var v in _views) v.Dispose();
    }
}
