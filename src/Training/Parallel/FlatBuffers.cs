using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetExt.Training.Parallel;

/// <summary>
/// Where each parameter lives in flat buckets of about <c>bucketBytes</c>: the same layout for every replica and the
/// master, so buckets line up one to one. Parameters are ordered decayed-first, so each bucket holds at most one
/// decayed and one undecayed run and the optimizer works on a handful of long tensors.
/// </summary>
public sealed record BucketLayout(int[] Order, long[] Offsets, int[] BucketOf, long[] BucketSizes)
{
    public static BucketLayout Create(IReadOnlyList<Tensor> parameters, IReadOnlyList<bool> decay, long bucketBytes)
    {
        if (parameters.Count == 0) throw new ArgumentException("The model has no trainable parameters.", nameof(parameters));
        var order = Enumerable.Range(0, parameters.Count).OrderBy(i => decay[i] ? 0 : 1).ThenBy(i => i).ToArray();
        long maxElements = Math.Max(1, bucketBytes / sizeof(float));
        var offsets = new long[parameters.Count];
        var bucketOf = new int[parameters.Count];
        var sizes = new List<long> { 0 };
        foreach (int i in order)
        {
            long n = parameters[i].numel();
            // Fill a bucket until the next parameter would overflow it; a huge parameter gets a bucket of its own.
            if (sizes[^1] > 0 && sizes[^1] + n > maxElements) sizes.Add(0);
            (offsets[i], bucketOf[i]) = (sizes[^1], sizes.Count - 1);
            sizes[^1] += n;
        }
        return new BucketLayout(order, offsets, bucketOf, sizes.ToArray());
    }
}

/// <summary>
/// One model copy's parameters and fp32 gradients in flat buckets laid out by a <see cref="BucketLayout"/>. The
/// parameters become views into the weight buckets, so copying weights between copies is one copy per bucket. When
/// the copy is fp32 its <c>.grad</c> are views into the gradient buckets and autograd accumulates straight into
/// them; a bf16 copy's gradients are copied up after backward (<see cref="Collect"/>).
/// </summary>
public sealed class FlatBuffers : IDisposable
{
    readonly Parameter[] _params;
    readonly Tensor[] _gradViews;
    readonly bool _gradsInPlace;

    public IReadOnlyList<Tensor> Weights { get; }
    /// <summary>Flat fp32 gradient buckets; empty when built without gradients (a master that only holds weights).</summary>
    public IReadOnlyList<Tensor> Gradients { get; }

    public FlatBuffers(IReadOnlyList<Parameter> parameters, BucketLayout layout, bool withGradients)
    {
        _params = parameters.ToArray();
        var device = _params[0].device;
        var dtype = _params[0].dtype;
        Weights = layout.BucketSizes.Select(n => empty(n, dtype, device)).ToArray();
        Gradients = withGradients ? layout.BucketSizes.Select(n => zeros(n, ScalarType.Float32, device)).ToArray() : [];
        _gradViews = new Tensor[_params.Length];
        _gradsInPlace = withGradients && dtype == ScalarType.Float32;
        using var _ = no_grad();
        for (int i = 0; i < _params.Length; i++)
        {
            var p = _params[i];
            var weight = View(Weights, layout, i, p);
            weight.copy_(p);
            p.set_(weight);
            if (!withGradients) continue;
            _gradViews[i] = View(Gradients, layout, i, p);
            if (_gradsInPlace) p.grad = _gradViews[i];
        }
    }

    static Tensor View(IReadOnlyList<Tensor> buckets, BucketLayout layout, int i, Tensor p) =>
        buckets[layout.BucketOf[i]].narrow(0, layout.Offsets[i], p.numel()).view(p.shape);

    public void ZeroGradients()
    {
        foreach (var g in Gradients) g.zero_();
    }

    /// <summary>After backward: copies a low-precision copy's gradients up into the fp32 buckets.</summary>
    public void Collect()
    {
        if (_gradsInPlace || Gradients.Count == 0) return;
        using var _ = no_grad();
        for (int i = 0; i < _params.Length; i++)
        {
            if (_params[i].grad is not Tensor g) continue;
            _gradViews[i].copy_(g);
            _params[i].grad = null;
        }
    }

    public void Dispose()
    {
        foreach (var t in Weights.Concat(Gradients)) t.Dispose();
        foreach (var v in _gradViews) v?.Dispose();
    }
}
