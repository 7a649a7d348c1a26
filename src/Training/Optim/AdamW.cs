using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.Training.Optim;

/// <summary>
/// AdamW (Loshchilov and Hutter) with decoupled weight decay over a flat list of fp32 master parameters and their
/// gradients. The state is plain named tensors plus a step count, so a checkpoint restores it exactly.
/// </summary>
public sealed class AdamW : IDisposable
{
    readonly IReadOnlyList<MasterParameter> _params;
    readonly Tensor[] _expAvg, _expAvgSq;
    readonly AdamWOptions _options;

    /// <summary>Optimizer steps taken (bias correction uses it).</summary>
    public long StepCount { get; private set; }

    public AdamW(IReadOnlyList<MasterParameter> parameters, AdamWOptions options)
    {
        _params = parameters;
        _options = options;
        _expAvg = parameters.Select(p => zeros_like(p.Value).DetachFromDisposeScope()).ToArray();
        _expAvgSq = parameters.Select(p => zeros_like(p.Value).DetachFromDisposeScope()).ToArray();
    }

    public void Step(double lr)
    {
        StepCount++;
        double b1 = _options.Beta1, b2 = _options.Beta2;
        double bc1 = 1 - Math.Pow(b1, StepCount), bc2 = 1 - Math.Pow(b2, StepCount);
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        for (int i = 0; i < _params.Count; i++)
        {
            var (p, g) = (_params[i].Value, _params[i].Grad);
            if (_params[i].Decay && _options.WeightDecay != 0) p.mul_(1 - lr * _options.WeightDecay);
            _expAvg[i].mul_(b1).add_(g, 1 - b1);
            _expAvgSq[i].mul_(b2).addcmul_(g, g, 1 - b2);
            // p -= lr/bc1 · m / (sqrt(v/bc2) + eps)
            var denom = _expAvgSq[i].sqrt().div_(Math.Sqrt(bc2)).add_(_options.Epsilon);
            p.addcdiv_(_expAvg[i], denom, -lr / bc1);
        }
    }

    /// <summary>Moments keyed "exp_avg.{name}" / "exp_avg_sq.{name}" (views of the live state).</summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var state = new Dictionary<string, Tensor>();
        for (int i = 0; i < _params.Count; i++)
        {
            state["exp_avg." + _params[i].Name] = _expAvg[i];
            state["exp_avg_sq." + _params[i].Name] = _expAvgSq[i];
        }
        return state;
    }

    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state, long stepCount)
    {
        using var _ = no_grad();
        for (int i = 0; i < _params.Count; i++)
        {
            _expAvg[i].copy_(Lookup(state, "exp_avg." + _params[i].Name, _expAvg[i]));
            _expAvgSq[i].copy_(Lookup(state, "exp_avg_sq." + _params[i].Name, _expAvgSq[i]));
        }
        StepCount = stepCount;
    }

    static Tensor Lookup(IReadOnlyDictionary<string, Tensor> state, string key, Tensor like)
    {
        if (!state.TryGetValue(key, out var t)) throw new InvalidDataException($"Optimizer state has no tensor '{key}'.");
        if (!t.shape.SequenceEqual(like.shape))
            throw new InvalidDataException($"Optimizer state '{key}' has shape [{string.Join(",", t.shape)}], expected [{string.Join(",", like.shape)}].");
        return t;
    }

    public void Dispose()
    {
        foreach (var t in _expAvg.Concat(_expAvgSq)) t.Dispose();
    }
}

/// <summary>An fp32 master parameter, its fp32 gradient (a view into a gradient bucket) and whether it decays.</summary>
public sealed record MasterParameter(string Name, Tensor Value, Tensor Grad, bool Decay);
