using System.Globalization;
using MLNetExt.Training.Transfer;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.Training.Optim;

/// <summary>
/// AdamW (Loshchilov and Hutter) with decoupled weight decay over flat groups of fp32 master weights and gradients,
/// run by PyTorch's fused kernel (<c>torch._fused_adamw_</c>, reached through a TorchScript function: TorchSharp does
/// not bind it): one pass over each group per step. The kernel takes the gradient's scale and a skip flag as device
/// tensors, so averaging, clipping and skipping a non-finite step need no host round trip. The state is two tensors
/// per group plus a step count on the device, saved per parameter name, so a checkpoint restores it exactly.
/// </summary>
public sealed class AdamW : IDisposable
{
    readonly IReadOnlyList<ParameterGroup> _groups;
    readonly Tensor[] _expAvg, _expAvgSq, _steps;
    readonly jit.CompilationUnit _script;
    readonly object[] _lists; // the fused op's lists (params, grads, exp_avg, exp_avg_sq, steps), decayed groups then undecayed

    public AdamW(IReadOnlyList<ParameterGroup> groups, AdamWOptions options)
    {
        if (groups.Count == 0) throw new ArgumentException("AdamW needs at least one parameter group.", nameof(groups));
        Validate(options);
        _groups = groups;
        var device = groups[0].Values.device;
        _expAvg = groups.Select(g => zeros_like(g.Values).DetachFromDisposeScope()).ToArray();
        _expAvgSq = groups.Select(g => zeros_like(g.Values).DetachFromDisposeScope()).ToArray();
        // The fused kernel reads each group's step count (for bias correction) from a float32 tensor on the device.
        _steps = groups.Select(_ => zeros(ScalarShape, ScalarType.Float32, device).DetachFromDisposeScope()).ToArray();
        _lists = [.. Lists(g => g.Decay), .. Lists(g => !g.Decay)];
        _script = jit.compile(Script(options));
    }

    /// <summary>The five lists of one fused call (params, grads, exp_avgs, exp_avg_sqs, steps) over the matching groups.</summary>
    Tensor[][] Lists(Func<ParameterGroup, bool> which)
    {
        var i = Enumerable.Range(0, _groups.Count).Where(k => which(_groups[k])).ToArray();
        return [[.. i.Select(k => _groups[k].Values)], [.. i.Select(k => _groups[k].Grads)], [.. i.Select(k => _expAvg[k])], [.. i.Select(k => _expAvgSq[k])], [.. i.Select(k => _steps[k])]];
    }

    /// <summary>
    /// The hyper-parameters are constants of the script: TorchSharp would pass C# numbers as temporary Scalars the
    /// garbage collector may free mid-call, so everything that varies per step travels as a tensor. (Each list is its
    /// own argument: the op does not update tensors reached through a sliced list.)
    /// </summary>
    static string Script(AdamWOptions o)
    {
        static string F(double x)
        {
            string r = x.ToString("R", CultureInfo.InvariantCulture);
            return r.IndexOfAny(['.', 'E']) < 0 ? r + ".0" : r;
        }
        string Call(string group, double decay) => $$"""
                if len(p{{group}}) > 0:
                    torch._fused_adamw_(p{{group}}, g{{group}}, m{{group}}, v{{group}}, [], s{{group}}, lr=lr, beta1={{F(o.Beta1)}}, beta2={{F(o.Beta2)}},
                        weight_decay={{F(decay)}}, eps={{F(o.Epsilon)}}, amsgrad=False, maximize=False, grad_scale=grad_divisor, found_inf=skip)
            """;
        return $$"""
            def step(pd: List[Tensor], gd: List[Tensor], md: List[Tensor], vd: List[Tensor], sd: List[Tensor],
                     pu: List[Tensor], gu: List[Tensor], mu: List[Tensor], vu: List[Tensor], su: List[Tensor],
                     lr: Tensor, grad_divisor: Tensor, skip: Tensor) -> Tensor:
                for s in sd + su:
                    s.add_(1.0)
            {{Call("d", o.WeightDecay)}}
            {{Call("u", 0)}}
                for s in sd + su:
                    s.sub_(skip)
                return skip

            """;
    }

    /// <summary>Optimizer steps taken (bias correction uses it); reading it waits for the device.</summary>
    public long StepCount => (long)DeviceTraffic.Read(_steps[0])[0];

    /// <summary>
    /// One update at learning rate <paramref name="lr"/> using <paramref name="gradScale"/>·grad as the gradient, so
    /// averaging and clipping cost no extra pass over the gradients.
    /// </summary>
    public void Step(double lr, double gradScale = 1.0)
    {
        using var scope = NewDisposeScope();
        var device = _groups[0].Values.device;
        using var divisor = (1 / gradScale).ToScalar();
        Step(tensor(lr, ScalarType.Float64), full(ScalarShape, divisor, ScalarType.Float32, device), zeros(ScalarShape, ScalarType.Float32, device));
    }

    static readonly long[] ScalarShape = [];

    static void Validate(AdamWOptions o)
    {
        if (!(o.Beta1 is >= 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(o), o.Beta1, "AdamW Beta1 must be in [0, 1).");
        if (!(o.Beta2 is >= 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(o), o.Beta2, "AdamW Beta2 must be in [0, 1).");
        if (!(o.Epsilon > 0) || double.IsInfinity(o.Epsilon)) throw new ArgumentOutOfRangeException(nameof(o), o.Epsilon, "AdamW Epsilon must be positive and finite.");
        if (!(o.WeightDecay >= 0) || double.IsInfinity(o.WeightDecay)) throw new ArgumentOutOfRangeException(nameof(o), o.WeightDecay, "AdamW WeightDecay must be non-negative and finite.");
    }

    /// <summary>
    /// One update on the device: gradients divided by <paramref name="gradDivisor"/> (float32, on the device), and
    /// nothing at all changed (weights, moments, step count) where <paramref name="skip"/> (float32 0/1) is 1.
    /// <paramref name="lr"/> is a 0-dim tensor on the CPU or on the device.
    /// </summary>
    internal void Step(Tensor lr, Tensor gradDivisor, Tensor skip)
    {
        using var _ = no_grad();
        ((Tensor)_script.invoke("step", [.. _lists, lr, gradDivisor, skip])).Dispose();
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
        using var count = stepCount.ToScalar();
        for (int i = 0; i < _groups.Count; i++)
        {
            foreach (var member in _groups[i].Members)
            {
                var (m, v) = (View(_expAvg[i], member), View(_expAvgSq[i], member));
                m.copy_(Lookup(state, "exp_avg." + member.Name, m));
                v.copy_(Lookup(state, "exp_avg_sq." + member.Name, v));
            }
            _steps[i].fill_(count);
        }
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
        _script.Dispose();
        foreach (var t in _expAvg.Concat(_expAvgSq).Concat(_steps)) t.Dispose();
    }
}
