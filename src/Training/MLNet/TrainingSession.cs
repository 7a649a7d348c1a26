using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNetExt.Training.Telemetry;
using TorchSharp;

namespace MLNetExt.Training.MLNet;

/// <summary>
/// What an estimator's Fit needs from ML.NET: a host and channel for progress (shown by <c>MLContext.Log</c>), the
/// torch device <c>MLContext.GpuDeviceId</c>/<c>FallbackToCpu</c> ask for, and cancellation by a token or by
/// ML.NET's own cancellation of the context (internal <c>MLContext.CancelExecution</c>, which AutoML uses).
/// </summary>
public sealed class TrainingSession : IDisposable
{
    readonly CancellationToken _cancellation;

    public IHost Host { get; }
    public IChannel Channel { get; }
    public torch.Device Device { get; }

    public TrainingSession(IHostEnvironment env, string component, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(env);
        _cancellation = cancellation;
        Host = env.Register(component);
        Channel = Host.Start("Training");
        Device = SelectDevice(env, Channel);
    }

    /// <summary>Throws <see cref="OperationCanceledException"/> once the context or the token is cancelled; call once per step.</summary>
    public void ThrowIfCancelled()
    {
        _cancellation.ThrowIfCancellationRequested();
        Host.CheckAlive();  // hosts, not the MLContext itself, see the context's cancellation
    }

    /// <summary>A progress line on the channel.</summary>
    public void Report(string message) => Channel.Info(message);

    /// <summary>
    /// Progress for <see cref="Trainer{TModel, TBatch}.Fit"/>: a line on the channel every <paramref name="every"/>
    /// steps (and the last), and a cancellation check after every step, so <c>MLContext.CancelExecution()</c> stops
    /// training between steps.
    /// </summary>
    public IProgress<TrainingProgress> TrainerProgress(int every = 10) => new StepReporter(this, Math.Max(1, every));

    /// <summary>The device name <see cref="TrainerOptions.Devices"/> takes for <see cref="Device"/>.</summary>
    public string DeviceName => Device.type == DeviceType.CUDA ? $"cuda:{Device.index}" : "cpu";

    /// <summary>Synchronous, unlike <see cref="Progress{T}"/>, so the cancellation check runs on the training thread.</summary>
    sealed class StepReporter(TrainingSession session, int every) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress p)
        {
            if (p.Step % every == 0 || p.Step == p.TotalSteps)
                session.Report($"step {p.Step}/{p.TotalSteps}: loss {p.Loss:F4}, lr {p.LearningRate:E2}, {p.TokensPerSecond:N0} tokens/s" +
                    (p.EvalLoss is double eval ? $", eval loss {eval:F4}" : ""));
            session.ThrowIfCancelled();
        }
    }

    /// <summary>
    /// CUDA device <c>GpuDeviceId</c> when set and CUDA is there; without CUDA, the CPU if <c>FallbackToCpu</c>
    /// allows it (with a warning), else an error. No <c>GpuDeviceId</c> means the CPU.
    /// </summary>
    public static torch.Device SelectDevice(IHostEnvironment env, IChannel channel)
    {
        var settings = (IHostEnvironmentInternal)env;
        if (settings.GpuDeviceId is not int id) return torch.CPU;
        if (torch.cuda.is_available() && id < torch.cuda.device_count()) return new torch.Device(DeviceType.CUDA, id);
        string why = torch.cuda.is_available() ? $"CUDA has {torch.cuda.device_count()} device(s)" : "CUDA is not available";
        if (!settings.FallbackToCpu)
            throw new InvalidOperationException($"MLContext.GpuDeviceId is {id} but {why}, and FallbackToCpu is false.");
        channel.Warning($"MLContext.GpuDeviceId is {id} but {why}; running on the CPU (FallbackToCpu).");
        return torch.CPU;
    }

    public void Dispose() => Channel.Dispose();
}
