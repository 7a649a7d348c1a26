using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace MLNetExt.Training.Parallel.Nccl;

/// <summary>Raw data pointers of (CUDA) tensors, which TorchSharp does not expose but its native shim does.</summary>
internal static class TensorPointer
{
    [DllImport("LibTorchSharp")]
    static extern IntPtr THSTensor_data(IntPtr handle);

    public static IntPtr Of(Tensor t)
    {
        if (!t.is_contiguous()) throw new ArgumentException("NCCL needs contiguous tensors.", nameof(t));
        return THSTensor_data(t.Handle);
    }
}
