using System.Diagnostics;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.GpuRunner;

/// <summary>
/// The "probe" command: which devices TorchSharp sees, then every op of <see cref="ProbeOps"/> on each device
/// (CUDA results compared with the CPU's), then matmul throughput. Writes the journal and results.json in --out.
/// </summary>
public static class OpsProbe
{
    public static int Run(RunnerArgs args)
    {
        using var journal = new Journal(args.Out, Journal.RunnerName);
        torch.set_num_threads(Math.Max(1, Environment.ProcessorCount / 2));

        bool cuda = false;
        journal.Run("environment", () =>
        {
            cuda = torch.cuda.is_available();
            return new JsonObject
            {
                ["cuda_init_error"] = cuda ? null : CudaInitError(),
                ["ok"] = true,
                ["cuda_available"] = cuda,
                ["cuda_device_count"] = cuda ? torch.cuda.device_count() : 0,
                ["cudnn_available"] = cuda && torch.cuda.is_cudnn_available(),
                ["torchsharp_libtorch_version"] = torch.__version__,
                ["torch_lib"] = args.TorchLib,
                ["threads"] = torch.get_num_threads(),
            };
        });
        // A resumed run skips the environment step, so ask again (cheap, and it has already succeeded once).
        cuda = torch.cuda.is_available();
        Device[] devices = cuda ? [CPU, CUDA] : [CPU];

        foreach (var (name, op) in ProbeOps.All)
            foreach (var device in devices)
                journal.Run($"{name}@{device.type}", () => RunOp(op, device));

        foreach (var device in devices)
            foreach (var dtype in new[] { ScalarType.BFloat16, ScalarType.Float32 })
                journal.Run($"matmul_tflops_{dtype}@{device.type}", () => MatmulSpeed.Measure(device, dtype));

        string summary = Path.Combine(args.Out, "results.json");
        journal.WriteSummary(summary);
        Console.WriteLine($"wrote {summary}");
        return 0;
    }

    /// <summary>Why CUDA is unavailable, with TorchSharp's native load trace.</summary>
    static string CudaInitError()
    {
        try
        {
            torch.InitializeDeviceType(DeviceType.CUDA);
            return "InitializeDeviceType(CUDA) succeeded although cuda.is_available() is false";
        }
        catch (Exception e)
        {
            return $"{e.GetType().Name}: {e.Message}";
        }
    }

    /// <summary>Runs the op on the device; off the CPU, also on the CPU, and reports the largest difference.</summary>
    static JsonObject RunOp(Func<Device, Tensor> op, Device device)
    {
        using var scope = torch.NewDisposeScope();
        var clock = Stopwatch.StartNew();
        var result = op(device).cpu();   // .cpu() waits for the device
        double ms = clock.Elapsed.TotalMilliseconds;
        var fields = new JsonObject
        {
            ["ok"] = true,
            ["ms"] = Math.Round(ms, 3),
            ["shape"] = string.Join("x", result.shape),
            ["dtype"] = result.dtype.ToString(),
        };
        if (device.type != DeviceType.CPU)
        {
            var reference = op(CPU);
            var diff = (result.to(ScalarType.Float64) - reference.to(ScalarType.Float64)).abs();
            fields["max_abs_diff_vs_cpu"] = diff.numel() == 0 ? 0 : diff.max().item<double>();
            fields["max_abs_cpu"] = reference.numel() == 0 ? 0 : reference.to(ScalarType.Float64).abs().max().item<double>();
        }
        return fields;
    }
}
