using MLNetExt.Training.Optim;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetExt.Training.Parallel;

/// <summary>
/// This process's model replicas, one per device, around one fp32 master copy on the first device. Replicas run
/// forward/backward concurrently on their own threads; their gradients land in fp32 buckets; after the reduction
/// the optimizer steps the master once and the new weights are copied down bucket by bucket, so replicas never
/// drift. In fp32 on the master's device, replica 0 IS the master (nothing to copy); in bf16 every replica is a
/// bf16 copy.
/// </summary>
public sealed class ReplicaSet<TModel> : IDisposable where TModel : nn.Module
{
    readonly FlatBuffers[] _buffers;
    readonly FlatBuffers _master;

    public TModel Master { get; }
    public IReadOnlyList<TModel> Replicas { get; }
    public IReadOnlyList<Device> Devices { get; }
    public int Count => Replicas.Count;
    /// <summary>The master weights and reduced gradients as a few flat runs for the optimizer.</summary>
    public IReadOnlyList<ParameterGroup> Groups { get; }
    /// <summary>Per replica, its flat fp32 gradient buckets; after the reduction replica 0's hold the master gradient.</summary>
    public IReadOnlyList<IReadOnlyList<Tensor>> GradientBuckets { get; }
    public IReadOnlyList<Tensor> MasterGradients => _buffers[0].Gradients;

    public ReplicaSet(Func<Device, TModel> create, IReadOnlyList<Device> devices, ScalarType computeType,
        long bucketBytes, Func<string, Tensor, bool> decays)
    {
        if (computeType is not (ScalarType.Float32 or ScalarType.BFloat16))
            throw new ArgumentException($"Compute type {computeType} is not supported; use Float32 or BFloat16.", nameof(computeType));
        Devices = devices.ToArray();
        Master = create(devices[0]);
        var named = Master.named_parameters().Where(p => p.parameter.requires_grad).ToArray();
        foreach (var (name, p) in named)
            if (p.dtype != ScalarType.Float32) throw new ArgumentException($"CreateModel must return an fp32 model; parameter '{name}' is {p.dtype}.");
        var decay = named.Select(p => decays(p.name, p.parameter)).ToArray();
        var layout = BucketLayout.Create(named.Select(p => (Tensor)p.parameter).ToArray(), decay, bucketBytes);

        var replicas = new List<TModel>();
        for (int i = 0; i < devices.Count; i++)
        {
            bool shareMaster = i == 0 && computeType == ScalarType.Float32;
            var replica = shareMaster ? Master : create(devices[i]);
            if (!shareMaster) replica.to(computeType);
            replicas.Add(replica);
        }
        Replicas = replicas;
        _buffers = replicas.Select((r, i) => new FlatBuffers(Trainable(r, named.Length, i), layout, withGradients: true)).ToArray();
        _master = ReferenceEquals(replicas[0], Master) ? _buffers[0] : new FlatBuffers(named.Select(p => p.parameter).ToArray(), layout, withGradients: false);
        GradientBuckets = _buffers.Select(b => b.Gradients).ToArray();
        Groups = BuildGroups(named.Select(p => p.name).ToArray(), named.Select(p => p.parameter.shape).ToArray(), decay, layout);
        CopyMasterToReplicas();
    }

    static Parameter[] Trainable(nn.Module replica, int expected, int index)
    {
        var ps = replica.parameters().Where(p => p.requires_grad).ToArray();
        if (ps.Length != expected)
            throw new InvalidOperationException($"Replica {index} has {ps.Length} trainable parameters, the master {expected}: CreateModel must build the same model every call.");
        return ps;
    }

    /// <summary>Per bucket, the decayed run and the undecayed run (the layout orders decayed parameters first).</summary>
    List<ParameterGroup> BuildGroups(string[] names, long[][] shapes, bool[] decay, BucketLayout layout)
    {
        var groups = new List<ParameterGroup>();
        for (int b = 0; b < layout.BucketSizes.Length; b++)
            foreach (bool d in new[] { true, false })
            {
                var members = layout.Order.Where(i => layout.BucketOf[i] == b && decay[i] == d).ToArray();
                if (members.Length == 0) continue;
                long start = layout.Offsets[members[0]];
                long length = members.Sum(i => shapes[i].Aggregate(1L, (x, y) => x * y));
                groups.Add(new ParameterGroup(_master.Weights[b].narrow(0, start, length), _buffers[0].Gradients[b].narrow(0, start, length), d,
                    members.Select(i => new GroupMember(names[i], layout.Offsets[i] - start, shapes[i])).ToArray()));
            }
        return groups;
    }

    /// <summary>Runs <paramref name="work"/>(replica index) for every replica at once, each on its own thread.</summary>
    public T[] OnEach<T>(Func<int, T> work)
    {
        var results = new T[Count];
        var others = Enumerable.Range(1, Count - 1)
            .Select(r => Task.Factory.StartNew(() => results[r] = work(r), TaskCreationOptions.LongRunning)).ToArray();
        results[0] = work(0);
        try { Task.WaitAll(others); }
        catch (AggregateException e) when (e.InnerExceptions.Count == 1) { throw e.InnerExceptions[0]; }
        return results;
    }

    public void ZeroGradients()
    {
        foreach (var b in _buffers) b.ZeroGradients();
    }

    /// <summary>Copies low-precision replicas' gradients up into their fp32 buckets.</summary>
    public void CollectGradients() => OnEach(r => { _buffers[r].Collect(); return 0; });

    /// <summary>Copies the master weights into every replica that is not the master itself (casting to its dtype).</summary>
    public void CopyMasterToReplicas() => OnEach(r =>
    {
        if (ReferenceEquals(_buffers[r], _master)) return 0;
        using var _ = no_grad();
        for (int b = 0; b < _master.Weights.Count; b++) _buffers[r].Weights[b].copy_(_master.Weights[b]);
        return 0;
    });

    public void SetTraining(bool training)
    {
        foreach (var m in Replicas.Append(Master)) m.train(training);
    }

    public void Dispose()
    {
        foreach (var b in _buffers) b.Dispose();
        if (!ReferenceEquals(_master, _buffers[0])) _master.Dispose();
        foreach (var r in Replicas) if (!ReferenceEquals(r, Master)) r.Dispose();
        Master.Dispose();
    }
}
