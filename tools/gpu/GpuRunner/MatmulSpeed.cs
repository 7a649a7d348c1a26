using System.Diagnostics;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.GpuRunner;

/// <summary>Square matmul throughput: 8192^3 on a GPU, 1024^3 on the CPU (a big CPU matmul would take minutes).</summary>
public static class MatmulSpeed
{
    public static JsonObject Measure(Device device, ScalarType dtype)
    {
        using var scope = torch.NewDisposeScope();
        bool gpu = device.type != DeviceType.CPU;
        long n = gpu ? 8192 : 1024;
        int iterations = gpu ? 20 : 5;
        var a = randn(new long[] { n, n }, dtype, device);
        var b = randn(new long[] { n, n }, dtype, device);

        for (int i = 0; i < 3; i++) a.mm(b).Dispose();   // warm-up: cuBLAS heuristics, CPU caches
        Wait(device);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < iterations; i++) a.mm(b).Dispose();   // the caching allocator reuses the freed block
        Wait(device);
        double seconds = clock.Elapsed.TotalSeconds;
        return new JsonObject
        {
            ["ok"] = true,
            ["n"] = n,
            ["iterations"] = iterations,
            ["ms_per_matmul"] = Math.Round(seconds / iterations * 1000, 3),
            ["tflops"] = Math.Round(2.0 * n * n * n * iterations / seconds / 1e12, 3),
        };
    }

    static void Wait(Device device)
    {
        if (device.type == DeviceType.CUDA) torch.cuda.synchronize();
    }
}
