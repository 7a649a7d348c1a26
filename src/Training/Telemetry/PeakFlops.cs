using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.Training.Telemetry;

/// <summary>Peak FLOP/s of the training devices, the denominator of MFU.</summary>
public static class PeakFlops
{
    // Dense tensor-core peaks from the vendors' data sheets (bf16, then fp32 without TF32). More specific names first.
    static readonly (string Name, double BFloat16, double Float32)[] Gpus =
    [
        ("H200", 989e12, 67e12), ("H100 PCIe", 756e12, 51e12), ("H100", 989e12, 67e12), ("GH200", 989e12, 67e12),
        ("A100", 312e12, 19.5e12), ("L40S", 362e12, 91.6e12), ("L4", 121e12, 30.3e12), ("A10", 125e12, 31.2e12),
        ("RTX 4090", 165e12, 82.6e12), ("RTX 3090", 71e12, 35.6e12), ("B200", 2250e12, 80e12),
    ];

    /// <summary>The data-sheet peak of a GPU whose name contains a known model, or null.</summary>
    public static double? ForGpu(string name, ScalarType dtype)
    {
        foreach (var g in Gpus)
            if (name.Contains(g.Name, StringComparison.OrdinalIgnoreCase)) return dtype == ScalarType.BFloat16 ? g.BFloat16 : g.Float32;
        return null;
    }

    /// <summary>
    /// Total peak over the devices: table values for GPUs (named by nvidia-smi), a measured matmul rate for the CPU,
    /// counted once however many CPU replicas share it. Null if any GPU is unknown.
    /// </summary>
    public static double? Total(IReadOnlyList<Device> devices, ScalarType dtype)
    {
        double total = 0;
        if (devices.Any(d => d.type == DeviceType.CPU)) total += MeasureCpu(dtype);
        foreach (var d in devices.Where(d => d.type == DeviceType.CUDA))
        {
            var peak = GpuName(d) is string name ? ForGpu(name, dtype) : null;
            if (peak is null) return null;
            total += peak.Value;
        }
        return total;
    }

    /// <summary>Measured FLOP/s of a square matmul on the CPU with torch's current thread count.</summary>
    public static double MeasureCpu(ScalarType dtype, int n = 512)
    {
        using var scope = NewDisposeScope();
        var a = randn(n, n).to(dtype);
        var b = randn(n, n).to(dtype);
        a.matmul(b); // warm-up
        var clock = Stopwatch.StartNew();
        int reps = 0;
        while (clock.Elapsed.TotalSeconds < 0.2) { a.matmul(b); reps++; }
        return 2.0 * n * n * n * reps / clock.Elapsed.TotalSeconds;
    }

    /// <summary>nvidia-smi's arguments for a device's name; index -1 (torch.CUDA, "the current device") is device 0 in a process that never switched.</summary>
    internal static string NameQuery(long deviceIndex) => $"--query-gpu=name --format=csv,noheader -i {Math.Max(deviceIndex, 0)}";

    static string? GpuName(Device device)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("nvidia-smi", NameQuery(device.index))
            { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
            string name = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return p.ExitCode == 0 && name.Length > 0 ? name : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
