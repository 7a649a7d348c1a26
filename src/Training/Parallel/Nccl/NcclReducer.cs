using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.Training.Parallel.Nccl;

/// <summary>
/// Sums gradient buckets with NCCL all-reduce: one communicator per local GPU, either all GPUs of this process
/// (<see cref="ForLocalDevices"/>) or one GPU per process launched by torchrun/Slurm (<see cref="ForRank"/>).
/// </summary>
public sealed class NcclReducer : IGradientReducer
{
    readonly NcclLibrary _nccl;
    readonly IntPtr[] _comms;
    readonly Device[] _devices;

    public int WorldSize { get; }
    public int Rank { get; }

    NcclReducer(NcclLibrary nccl, IntPtr[] comms, Device[] devices, int worldSize, int rank)
    {
        (_nccl, _comms, _devices, WorldSize, Rank) = (nccl, comms, devices, worldSize, rank);
    }

    /// <summary>One process driving several GPUs (ncclCommInitAll).</summary>
    public static NcclReducer ForLocalDevices(IReadOnlyList<Device> devices)
    {
        RequireCuda(devices);
        var nccl = NcclLibrary.Load();
        var comms = new IntPtr[devices.Count];
        nccl.Check(nccl.CommInitAll(comms, devices.Count, devices.Select(d => d.index).ToArray()), "ncclCommInitAll");
        return new NcclReducer(nccl, comms, devices.ToArray(), 1, 0);
    }

    /// <summary>
    /// One GPU per process: rank 0 creates the NCCL unique id and hands it to the others over the TCP rendezvous at
    /// MASTER_ADDR:MASTER_PORT, then every rank joins with ncclCommInitRank.
    /// </summary>
    public static NcclReducer ForRank(DistributedEnvironment env, Device device, TimeSpan? rendezvousTimeout = null)
    {
        RequireCuda(new[] { device });
        var nccl = NcclLibrary.Load();
        var timeout = rendezvousTimeout ?? TimeSpan.FromMinutes(5);
        NcclLibrary.UniqueId id;
        if (env.Rank == 0)
        {
            nccl.Check(nccl.GetUniqueId(out id), "ncclGetUniqueId");
            using var listener = Rendezvous.Listen(env.MasterPort);
            var payload = id.Internal;
            var server = Task.Run(() => Rendezvous.Serve(listener, payload, env.WorldSize - 1, timeout));
            server.GetAwaiter().GetResult();
        }
        else
        {
            id = new NcclLibrary.UniqueId { Internal = Rendezvous.Fetch(env.MasterAddress, env.MasterPort, timeout) };
        }
        nccl.Check(nccl.CommInitRank(out var comm, env.WorldSize, id, env.Rank), $"ncclCommInitRank (rank {env.Rank} of {env.WorldSize})");
        return new NcclReducer(nccl, new[] { comm }, new[] { device }, env.WorldSize, env.Rank);
    }

    static void RequireCuda(IReadOnlyList<Device> devices)
    {
        var notCuda = devices.FirstOrDefault(d => d.type != DeviceType.CUDA);
        if (notCuda is not null) throw new ArgumentException($"The NCCL backend needs CUDA devices, got '{notCuda}'; use the in-process backend for CPU replicas.");
    }

    public void SumBuckets(IReadOnlyList<IReadOnlyList<Tensor>> local)
    {
        if (local.Count != _comms.Length) throw new ArgumentException($"NCCL was set up for {_comms.Length} local GPUs, got {local.Count} replicas.");
        // Both sides use the default CUDA stream (stream 0), so NCCL waits for backward and the step waits for NCCL.
        _nccl.Check(_nccl.GroupStart(), "ncclGroupStart");
        for (int r = 0; r < local.Count; r++)
            foreach (var bucket in local[r])
            {
                var data = TensorPointer.Of(bucket);
                _nccl.Check(_nccl.AllReduce(data, data, (nuint)bucket.numel(), NcclLibrary.Float32, NcclLibrary.Sum, _comms[r], IntPtr.Zero), "ncclAllReduce");
            }
        _nccl.Check(_nccl.GroupEnd(), "ncclGroupEnd");
        foreach (var d in _devices) cuda.synchronize(d);
    }

    public double[] SumScalars(double[] values)
    {
        if (WorldSize == 1) return values;
        using var t = tensor(values, ScalarType.Float64, _devices[0]);
        var data = TensorPointer.Of(t);
        _nccl.Check(_nccl.AllReduce(data, data, (nuint)values.Length, NcclLibrary.Float64, NcclLibrary.Sum, _comms[0], IntPtr.Zero), "ncclAllReduce");
        cuda.synchronize(_devices[0]);
        return t.cpu().data<double>().ToArray();
    }

    public void Dispose()
    {
        foreach (var c in _comms) _nccl.CommDestroy(c);
    }
}
