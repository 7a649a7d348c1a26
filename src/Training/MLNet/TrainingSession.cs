using Microsoft.ML;
using Microsoft.ML.Runtime;
using TorchSharp;

namespace MLNetExt.Training.MLNet;

/// <summary>
/// What a trainer's Fit needs from ML.NET and runs in the engine: a host and channel for progress (shown by
/// <c>MLContext.Log</c>), the torch device <c>MLContext.GpuDeviceId</c>/<c>FallbackToCpu</c> ask for, the seed, and
/// <see cref="Train"/>, which runs one phase with the options mapped once (<see cref="TextTrainerOptions.ToTrainerOptions"/>).
/// Training stops on the options' token or on ML.NET's own cancellation of the context (internal in ML.NET 5,
/// used by AutoML).
/// </summary>
internal sealed class TrainingSession : IDisposable
{
    readonly IHostEnvironment _env;
    readonly TextTrainerOptions _options;

    public IHost Host { get; }
    public IChannel Channel { get; }
    public torch.Device Device { get; }

    public TrainingSession(IHostEnvironment env, string component, TextTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(env);
        (_env, _options) = (env, options);
        Host = env.Register(component);
        Channel = Host.Start("Training");
        Device = SelectDevice(env, Channel);
    }

    /// <summary>The options' seed, else the MLContext's, else 0.</summary>
    public int Seed => _options.Seed ?? ((IHostEnvironmentInternal)_env).Seed ?? 0;

    /// <summary>The device name <see cref="TrainerOptions.Devices"/> takes for <see cref="Device"/>.</summary>
    public string DeviceName => Device.type == DeviceType.CUDA ? $"cuda:{Device.index}" : "cpu";

    /// <summary>Throws <see cref="OperationCanceledException"/> once the context or the token is cancelled.</summary>
    public void ThrowIfCancelled()
    {
        _options.CancellationToken.ThrowIfCancellationRequested();
        Host.CheckAlive();  // hosts, not the MLContext itself, see the context's cancellation
    }

    /// <summary>A progress line on the channel.</summary>
    public void Report(string message) => Channel.Info(message);

    /// <summary>
    /// Trains <paramref name="task"/> on <paramref name="train"/> (evaluating <paramref name="validation"/> after each
    /// epoch) and returns the result copied into a model <paramref name="create"/> builds (the engine's copy is freed).
    /// <paramref name="startWeights"/>, what the task copies its first weights from, is disposed once every replica
    /// holds them.
    /// </summary>
    public TResult Train<TModel, TBatch, TResult>(TrainingPhase phase, ITrainingTask<TModel, TBatch> task, IReadOnlyList<TBatch> train,
        IReadOnlyList<TBatch>? validation, Func<TResult> create, IDisposable? startWeights = null)
        where TModel : torch.nn.Module where TResult : torch.nn.Module
    {
        if (train.Count == 0) throw new ArgumentException($"{phase.Name}: the training data has no rows to learn from.");
        var engine = _options.ToTrainerOptions(this, phase, train.Count, validation is not null);
        TrainingResult outcome;
        using (var trainer = new Trainer<TModel, TBatch>(task, engine))
        {
            startWeights?.Dispose();
            Report($"{phase.Name}: {train.Count} batches per epoch, {engine.Schedule.TotalSteps} steps on {string.Join(", ", engine.Devices)}" +
                (engine.OutputDirectory is string dir ? $", run folder {dir}" : ""));
            outcome = trainer.Fit(train, validation, new EpochReporter(this, phase, train.Count, _options.LogEvery, _options.Progress), _options.CancellationToken);
            if (outcome.StoppedEarly)
                Report($"{phase.Name}: stopped early at step {outcome.FinalStep}; best validation loss {outcome.BestEvalLoss:F4} at step {outcome.BestEvalStep}.");
            var result = create();
            ModelWeights.Copy(trainer.Model, result);
            return result;
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
