using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.Training.Optim;

/// <summary>
/// AdamW (Loshchilov and Hutter) with decoupled weight decay over flat groups of fp32 master weights and gradients.
/// The state is two tensors per group plus a step count, saved per parameter name, so a checkpoint restores it exactly.
/// </summary>
public sealed class AdamW : IDisposable
{
    readonly IReadOnlyList<ParameterGroup> _groups;
    readonly Tensor[] _expAvg, _expAvgSq;
    readonly Tensor _scratch; // one reusable buffer for the denominator: no large allocation per step
    readonly AdamWOptions _options;

    /// <summary>Optimizer steps taken (bias correction uses it).</summary>
    public long StepCount { get; private set; }

    public AdamW(IReadOnlyList<ParameterGroup> groups, AdamWOptions options)
    {
        if (groups.Count == 0) throw new ArgumentException("AdamW needs at least one parameter group.", nameof(groups));
        _groups = groups;
        _options = options;
        _expAvg = groups.Select(g => zeros_like(g.Values).DetachFromDisposeScope()).ToArray();
        _expAvgSq = groups.Select(g => zeros_like(g.Values).DetachFromDisposeScope()).ToArray();
        _scratch = empty(groups.Max(g => g.Values.numel()), ScalarType.Float32, groups[0].Values.device).DetachFromDisposeScope();
    }

    /// <summary>
    /// One update at learning rate <paramref name="lr"/> using <paramref name="gradScale"/>·grad as the gradient, so
    /// averaging and clipping cost no extra pass over the gradients.
    /// </summary>
    public void Step(double lr, double gradScale = 1.0)
    {
        StepCount++;
        double b1 = _options.Beta1, b2 = _options.Beta2;
        double bc1 = 1 - Math.Pow(b1, StepCount), bc2 = 1 - Math.Pow(b2, StepCount);
        // p -= lr/bc1 · m / (sqrt(v/bc2) + eps), rewritten as stepSize · m / (sqrt(v) + eps·sqrt(bc2)) so that the
        // bias corrections cost no pass over memory.
        double stepSize = lr * Math.Sqrt(bc2) / bc1, eps = _options.Epsilon * Math.Sqrt(bc2);
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        // Owned for the whole update (see Scalars): no temporary scalar reaches a native op.
        using var keep = (1 - lr * _options.WeightDecay).ToScalar();
        using var beta1 = b1.ToScalar();
        using var gradWeight1 = ((1 - b1) * gradScale).ToScalar();
        using var beta2 = b2.ToScalar();
        using var gradWeight2 = ((1 - b2) * gradScale * gradScale).ToScalar();
        using var epsilon = eps.ToScalar();
        using var minusStep = (-stepSize).ToScalar();
        for (int i = 0; i < _groups.Count; i++)
        {
            var (p, g, m, v) = (_groups[i].Values, _groups[i].Grads, _expAvg[i], _expAvgSq[i]);
            if (_groups[i].Decay && _options.WeightDecay != 0) p.mul_(keep);
            m.mul_(beta1).add_(g, gradWeight1);
            v.mul_(beta2).addcmul_(g, g, gradWeight2);
            var denom = _scratch.narrow(0, 0, p.numel()).copy_(v).sqrt_().add_(epsilon, Scalars.One);
            p.addcdiv_(m, denom, minusStep);
        }
    }

    /// <summary>Moments keyed "exp_avg.{name}" / "exp_avg_sq.{name}" (views of the live state).</summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var state = new Dictionary<string, Tensor>();
        for (int i = 0; i < _groups.Count; i++)
            foreach (var member in _groups[i].Members)
            {
                state["exp_avg." + member.Name] = View(_expAvg[i], member);
                state["exp_avg_sq." + member.Name] = View(_expAvgSq[i], member);
            }
        return state;
    }

    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state, long stepCount)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        for (int i = 0; i < _groups.Count; i++)
            foreach (var member in _groups[i].Members)
            {
                var (m, v) = (View(_expAvg[i], member), View(_expAvgSq[i], member));
                m.copy_(Lookup(state, "exp_avg." + member.Name, m));
                v.copy_(Lookup(state, "exp_avg_sq." + member.Name, v));
            }
        StepCount = stepCount;
    }

    static Tensor View(Tensor flat, GroupMember member) => flat.narrow(0, member.Offset, member.Count).view(member.Shape);

    static Tensor Lookup(IReadOnlyDictionary<string, Tensor> state, string key, Tensor like)
    {
        if (!state.TryGetValue(key, out var t)) throw new InvalidDataException($"Optimizer state has no tensor '{key}'.");
        if (!t.shape.SequenceEqual(like.shape))
            throw new InvalidDataException($"Optimizer state '{key}' has shape [{string.Join(",", t.shape)}], expected [{string.Join(",", like.shape)}].");
        return t;
    }

    public void Dispose()
    {
        foreach (var t in _expAvg.Concat(_expAvgSq).Append(_scratch)) t.Dispose();
    }
}
