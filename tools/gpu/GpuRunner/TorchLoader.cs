using System.Runtime.InteropServices;

namespace MLNetExt.GpuRunner;

/// <summary>
/// Loads libtorch from a folder (PyTorch's torch/lib) before the first TorchSharp call. TorchSharp's own probe only
/// asks the loader for "torch_cpu"/"torch_cuda" by name; loading them here by full path means libLibTorchSharp.so's
/// DT_NEEDED entries (libtorch.so, libc10.so, libtorch_cpu.so) resolve to these already-loaded copies, and the CUDA
/// libraries register their hooks so that torch.cuda.is_available() can see the GPU.
/// </summary>
public static class TorchLoader
{
    // Dependency order: each library's own NEEDED entries are loaded before it.
    static readonly string[] Libraries =
        ["libc10.so", "libtorch_cpu.so", "libc10_cuda.so", "libtorch_cuda.so", "libtorch.so"];

    public static void Preload(string? folder)
    {
        if (folder is null)
        {
            Console.WriteLine("torch-lib: none given, TorchSharp uses the normal library search path");
            return;
        }
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"--torch-lib folder '{folder}' does not exist");
        foreach (string name in Libraries)
        {
            string path = Path.Combine(folder, name);
            if (!File.Exists(path))
            {
                Console.WriteLine($"torch-lib: {name} absent (fine for a CPU-only libtorch)");
                continue;
            }
            // A CUDA library that fails to load (driver missing) must not stop a CPU probe: report and go on.
            try
            {
                NativeLibrary.Load(path);
                Console.WriteLine($"torch-lib: loaded {path}");
            }
            catch (DllNotFoundException e)
            {
                Console.WriteLine($"torch-lib: FAILED to load {path}: {e.Message}");
            }
        }
    }
}
