using MLNetExt.Training.Optim;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetExt.Training.Parallel;

/// <summary>
/// This process's model replicas, one per device, around one fp32 master copy on the first device. Replicas run
/// forward/backward concurrently on their own threads; their gradients land in flat fp32 buffers; after the reduction
/// the optimizer steps the master once and the new weights are copied down in one casting copy per replica, so
/// replicas never drift. In fp32, replica 0 IS the master and other replicas on the master's device read the master's
/// weight buffer (forward/backward only read weights), so only replicas on other devices are copied to; in bf16 every
/// replica is a bf16 copy.
/// </summary>
public sealed class ReplicaSet<TModel> : IDisposable where TModel : nn.Module
{
    readonly FlatBuffers[] _buffers;
    readonly FlatBuffers _master;

    public TModel Master { get; }
    public IReadOnlyList<TModel> Replicas { get; }
    public IReadOnlyList<Device> Devices { get; }
    public int Count => Replicas.Count;
    /// <summary>The master weights and reduced gradients as at most two flat runs (decayed, undecayed) for the optimizer.</summary>
    public IReadOnlyList<ParameterGroup> Groups { get; }
    /// <summary>Per replica, its fp32 gradient buckets; after the reduction replica 0's hold the master gradient.</summary>
    public IReadOnlyList<IReadOnlyList<Tensor>> GradientBuckets { get; }
    /// <summary>The master gradient as one flat fp32 tensor (replica 0's, after the reduction).</summary>
    public Tensor MasterGradient => _buffers[0].Gradients!;

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
        _master = new FlatBuffers(named.Select(p => p.parameter).ToArray(), layout, withGradients: ReferenceEquals(replicas[0], Master));
        _buffers = replicas.Select((r, i) => ReferenceEquals(r, Master) ? _master
            : new FlatBuffers(Trainable(r, named.Length, i), layout, withGradients: true,
                sharedWeights: computeType == ScalarType.Float32 && SameDevice(devices[i], devices[0]) ? _master : null)).ToArray();
        GradientBuckets = _buffers.Select(b => b.Buckets).ToArray();
        Groups = BuildGroups(named.Select(p => p.name).ToArray(), named.Select(p => p.parameter.shape).ToArray(), decay, layout);
        CopyMasterToReplicas();
    }

    static bool SameDevice(Device a, Device b) => a.type == b.type && a.index == b.index;

    static Parameter[] Trainable(nn.Module replica, int expected, int index)
    {
        var ps = replica.parameters().Where(p => p.requires_grad).ToArray();
        if (ps.Length != expected)
            throw new InvalidOperationException($"Replica {index} has {ps.Length} trainable parameters, the master {expected}: CreateModel must build the same model every call.");
        return ps;
    }

    /// <summary>The decayed prefix of the flat buffers and the undecayed rest (the layout orders decayed parameters first).</summary>
    List<ParameterGroup> BuildGroups(string[] names, long[][] shapes, bool[] decay, BucketLayout layout)
    {
        var groups = new List<ParameterGroup>();
        foreach (var (d, start, end) in new[] { (true, 0L, layout.DecayedLength), (false, layout.DecayedLength, layout.Length) })
        {
            var members = layout.Order.Where(i => decay[i] == d).ToArray();
            if (members.Length == 0) continue;
            groups.Add(new ParameterGroup(_master.Weights.narrow(0, start, end - start), MasterGradient.narrow(0, start, end - start), d,
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

    /// <summary>Replica <paramref name="r"/>'s gradient buffers (zeroing before a backward, collecting after it).</summary>
    public FlatBuffers Buffers(int r) => _buffers[r];

    /// <summary>Copies the master weights into every replica that is not the master itself (one casting copy each).</summary>
    public void CopyMasterToReplicas() => OnEach(r =>
    {
        if (ReferenceEquals(_buffers[r].Weights, _master.Weights)) return 0;
        using var _ = no_grad();
        _buffers[r].Weights.copy_(_master.Weights);
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
