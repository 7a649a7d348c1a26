using System.Runtime.InteropServices;

namespace MLNetExt.Training.Parallel.Nccl;

/// <summary>
/// The few NCCL entry points data parallelism needs, bound at run time from libnccl.so.2 so that hosts without
/// NCCL still load this assembly and get a clear error only when they ask for the NCCL backend.
/// </summary>
internal sealed class NcclLibrary
{
    public const string DefaultName = "libnccl.so.2";
    public const int Float32 = 7, Float64 = 8, Sum = 0;

    [StructLayout(LayoutKind.Sequential)]
    public struct UniqueId
    {
        [MarshalAs(UnmanagedType.ByValArray, SizeConst = 128)] public byte[] Internal;
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate int GetVersionFn(out int version);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate int GetUniqueIdFn(out UniqueId id);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate int CommInitRankFn(out IntPtr comm, int nranks, UniqueId id, int rank);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate int CommInitAllFn([Out] IntPtr[] comms, int ndev, int[] devices);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate int AllReduceFn(IntPtr send, IntPtr recv, nuint count, int dataType, int op, IntPtr comm, IntPtr stream);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate int GroupFn();
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate int CommDestroyFn(IntPtr comm);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate IntPtr GetErrorStringFn(int result);

    public required GetVersionFn GetVersion { get; init; }
    public required GetUniqueIdFn GetUniqueId { get; init; }
    public required CommInitRankFn CommInitRank { get; init; }
    public required CommInitAllFn CommInitAll { get; init; }
    public required AllReduceFn AllReduce { get; init; }
    public required GroupFn GroupStart { get; init; }
    public required GroupFn GroupEnd { get; init; }
    public required CommDestroyFn CommDestroy { get; init; }
    public required GetErrorStringFn GetErrorString { get; init; }

    /// <summary>Loads NCCL from <paramref name="path"/> (a name the loader searches, or a file).</summary>
    public static NcclLibrary Load(string path = DefaultName)
    {
        if (!NativeLibrary.TryLoad(path, out var handle))
            throw new DllNotFoundException(
                $"The NCCL gradient backend needs {path}, which could not be loaded. Install NCCL 2 for your CUDA version " +
                "(Debian/Ubuntu: the libnccl2 package from NVIDIA's CUDA repository; or the nvidia-nccl-cu12 wheel's lib folder " +
                "on LD_LIBRARY_PATH), or use the in-process backend.");
        T Bind<T>(string symbol) where T : Delegate =>
            NativeLibrary.TryGetExport(handle, symbol, out var fn)
                ? Marshal.GetDelegateForFunctionPointer<T>(fn)
                : throw new EntryPointNotFoundException($"{path} has no symbol '{symbol}'; it is not NCCL 2 (need NCCL >= 2.4).");
        return new NcclLibrary
        {
            GetVersion = Bind<GetVersionFn>("ncclGetVersion"),
            GetUniqueId = Bind<GetUniqueIdFn>("ncclGetUniqueId"),
            CommInitRank = Bind<CommInitRankFn>("ncclCommInitRank"),
            CommInitAll = Bind<CommInitAllFn>("ncclCommInitAll"),
            AllReduce = Bind<AllReduceFn>("ncclAllReduce"),
            GroupStart = Bind<GroupFn>("ncclGroupStart"),
            GroupEnd = Bind<GroupFn>("ncclGroupEnd"),
            CommDestroy = Bind<CommDestroyFn>("ncclCommDestroy"),
            GetErrorString = Bind<GetErrorStringFn>("ncclGetErrorString"),
        };
    }

    /// <summary>Throws with NCCL's own message when a call did not return ncclSuccess.</summary>
    public void Check(int result, string call)
    {
        if (result != 0)
            throw new InvalidOperationException($"{call} failed with NCCL error {result}: {Marshal.PtrToStringAnsi(GetErrorString(result))}.");
    }
}
