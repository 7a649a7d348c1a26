using MLNetExt.Training.Optim;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetExt.Training.Parallel;

/// <summary>
/// This process's model replicas, one per device, around one fp32 master copy on the first device. Replicas run
/// forward/backward concurrently on their own threads; their gradients land in fp32 buckets; after the reduction
/// the optimizer steps the master once and the new weights are copied down, so replicas never drift. In fp32 on
/// the master's device, replica 0 IS the master (nothing to copy); in bf16 every replica is a bf16 copy.
/// </summary>
public sealed class ReplicaSet<TModel> : IDisposable where TModel : nn.Module
{
    readonly Parameter[][] _replicaParams;
    readonly Parameter[] _masterParams;
    readonly GradientBuckets[] _buckets;

    public TModel Master { get; }
    public IReadOnlyList<TModel> Replicas { get; }
    public IReadOnlyList<Device> Devices { get; }
    public int Count => Replicas.Count;
    /// <summary>Master parameters with their fp32 gradients (views into replica 0's buckets, which hold the reduced sum).</summary>
    public IReadOnlyList<MasterParameter> Parameters { get; }
    /// <summary>Every replica's buckets, in replica order.</summary>
    public IReadOnlyList<GradientBuckets> Buckets => _buckets;

    public ReplicaSet(Func<Device, TModel> create, IReadOnlyList<Device> devices, ScalarType computeType,
        long bucketBytes, Func<string, Tensor, bool> decays)
    {
        if (computeType is not (ScalarType.Float32 or ScalarType.BFloat16))
            throw new ArgumentException($"Compute type {computeType} is not supported; use Float32 or BFloat16.", nameof(computeType));
        Devices = devices.ToArray();
        Master = create(devices[0]);
        var named = Master.named_parameters().Where(p => p.parameter.requires_grad).ToArray();
        var notFp32 = named.FirstOrDefault(p => p.parameter.dtype != ScalarType.Float32);
        if (notFp32.parameter is not null)
            throw new ArgumentException($"CreateModel must return an fp32 model; parameter '{notFp32.name}' is {notFp32.parameter.dtype}.");
        _masterParams = named.Select(p => p.parameter).ToArray();

        var replicas = new List<TModel>();
        for (int i = 0; i < devices.Count; i++)
        {
            bool shareMaster = i == 0 && computeType == ScalarType.Float32;
            var replica = shareMaster ? Master : create(devices[i]);
            if (!shareMaster) replica.to(computeType);
            replicas.Add(replica);
        }
        Replicas = replicas;
        _replicaParams = replicas.Select(r => r.parameters().Where(p => p.requires_grad).ToArray()).ToArray();
        foreach (var (ps, i) in _replicaParams.Select((ps, i) => (ps, i)))
            if (ps.Length != _masterParams.Length)
                throw new InvalidOperationException($"Replica {i} has {ps.Length} trainable parameters, the master {_masterParams.Length}: CreateModel must build the same model every call.");
        CopyMasterToReplicas();

        _buckets = _replicaParams.Select(ps => new GradientBuckets(ps, bucketBytes)).ToArray();
        Parameters = named.Select((p, i) => new MasterParameter(p.name, p.parameter, _buckets[0].Views[i], decays(p.name, p.parameter))).ToArray();
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
        foreach (var b in _buckets) b.Zero();
    }

    /// <summary>Copies low-precision replicas' gradients up into their fp32 buckets.</summary>
    public void CollectGradients() => OnEach(r => { _buckets[r].Collect(); return 0; });

    /// <summary>Copies the master weights into every replica that is not the master itself (casting to its dtype).</summary>
    public void CopyMasterToReplicas()
    {
        OnEach(r =>
        {
            if (ReferenceEquals(Replicas[r], Master)) return 0;
            using var _ = no_grad();
            for (int i = 0; i < _masterParams.Length; i++) _replicaParams[r][i].copy_(_masterParams[i]);
            return 0;
        });
    }

    public void SetTraining(bool training)
    {
        foreach (var m in Replicas.Append(Master)) m.train(training);
    }

    public void Dispose()
    {
        foreach (var b in _buckets) b.Dispose();
        foreach (var r in Replicas) if (!ReferenceEquals(r, Master)) r.Dispose();
        Master.Dispose();
    }
}
