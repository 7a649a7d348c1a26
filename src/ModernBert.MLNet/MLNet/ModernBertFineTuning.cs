using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNetExt.Training;
using MLNetExt.Training.MLNet;
using MLNetExt.Training.Optim;
using MLNetExt.Training.Schedules;
using MLNetExt.Training.Telemetry;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.ModernBert.MLNet;

/// <summary>Runs the training engine for the ModernBERT trainers: options mapping, per-epoch log lines, weights out.</summary>
static class ModernBertFineTuning
{
    /// <summary>
    /// Trains <paramref name="task"/> for <paramref name="epochs"/> passes over <paramref name="train"/> peaking at
    /// <paramref name="learningRate"/>, evaluating
    /// <paramref name="validation"/> after each, and copies the result into <paramref name="result"/> (a CPU model
    /// of the same shape): the engine's own copy is freed with it.
    /// </summary>
    public static void Train<TModel, TBatch>(TrainingSession session, ModernBertTrainerOptions options, string phase, int epochs, double learningRate,
        ITrainingTask<TModel, TBatch> task, IReadOnlyList<TBatch> train, IReadOnlyList<TBatch>? validation, nn.Module result)
        where TModel : nn.Module
    {
        if (epochs < 1) throw new ArgumentOutOfRangeException(nameof(epochs), epochs, $"{phase}: train for at least one epoch.");
        if (train.Count == 0) throw new ArgumentException($"{phase}: the training data has no rows with a label.");
        using var trainer = new Trainer<TModel, TBatch>(task, EngineOptions(session, options, learningRate, (long)train.Count * epochs, train.Count,
            validation is null ? 0 : options.EarlyStoppingPatience));
        var reporter = new EpochReporter(session, options.Progress, phase, train.Count, epochs);
        var outcome = trainer.Fit(train, validation, reporter, options.CancellationToken);
        if (outcome.StoppedEarly) session.Report($"{phase}: stopped early at step {outcome.FinalStep}; best validation loss {outcome.BestEvalLoss:F4} at step {outcome.BestEvalStep}.");
        CopyWeights(trainer.Model, result);
    }

    /// <summary>The engine's options for a run of <paramref name="steps"/> steps, evaluating every <paramref name="evalEvery"/>.</summary>
    static TrainerOptions EngineOptions(TrainingSession session, ModernBertTrainerOptions o, double learningRate, long steps, int evalEvery, int patience)
    {
        if (learningRate <= 0) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be positive.");
        long warmup = (long)Math.Round(steps * Math.Clamp(o.WarmupFraction, 0, 1));
        LrSchedule schedule = o.Schedule switch
        {
            ModernBertSchedule.Linear => new WarmupLinear(learningRate, warmup, steps),
            ModernBertSchedule.Cosine => new WarmupCosine(learningRate, warmup, steps),
            ModernBertSchedule.WarmupStableDecay => new WarmupStableDecay(learningRate, warmup, steps, Math.Max(1, steps / 5)),
            _ => throw new ArgumentOutOfRangeException(nameof(o.Schedule), o.Schedule, "Unknown schedule."),
        };
        return new TrainerOptions
        {
            Schedule = schedule,
            Devices = DeviceNames(session, o),
            Precision = o.Precision,
            Seed = Seed(session, o),
            AdamW = new AdamWOptions(WeightDecay: o.WeightDecay),
            EvalEvery = evalEvery,
            EarlyStoppingPatience = patience,
            ShowProgress = false,
            Resume = false,
        };
    }

    /// <summary>The options' devices, else the one MLContext asks for.</summary>
    public static string[] DeviceNames(TrainingSession session, ModernBertTrainerOptions o) =>
        o.Devices is null ? [session.Device.ToString()] : o.Devices.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The options' seed, else the MLContext's, else 0.</summary>
    public static int Seed(TrainingSession session, ModernBertTrainerOptions o) =>
        o.Seed ?? ((IHostEnvironmentInternal)session.Host).Seed ?? 0;

    /// <summary>
    /// Copies every state_dict entry of <paramref name="from"/> into key <paramref name="prefix"/> + the same key of
    /// <paramref name="to"/> (any device, any dtype); e.g. an encoder into a head with prefix "model.".
    /// </summary>
    public static void CopyWeights(nn.Module from, nn.Module to, string prefix = "")
    {
        using var noGrad = no_grad();
        var target = to.state_dict();
        foreach (var (key, value) in from.state_dict())
            (target.TryGetValue(prefix + key, out var t) ? t : throw new InvalidOperationException($"{to.GetName()} has no '{prefix + key}' to copy into.")).copy_(value);
    }

    /// <summary>Forwards each step to the caller's progress and writes one line per epoch to the MLContext log.</summary>
    sealed class EpochReporter(TrainingSession session, IProgress<TrainingProgress>? user, string phase, int stepsPerEpoch, int epochs)
        : IProgress<TrainingProgress>
    {
        double _loss;
        int _steps;

        public void Report(TrainingProgress p)
        {
            user?.Report(p);
            _loss += p.Loss;
            _steps++;
            if (p.Step % stepsPerEpoch == 0 || p.Step == p.TotalSteps)
            {
                long epoch = (p.Step + stepsPerEpoch - 1) / stepsPerEpoch;
                string validation = p.EvalLoss is double e ? $", validation loss {e:F4}" : "";
                session.Report($"{phase} epoch {epoch}/{epochs}: training loss {_loss / _steps:F4}{validation}, {p.TokensPerSecond:F0} tokens/s, {p.Elapsed:hh\\:mm\\:ss}");
                (_loss, _steps) = (0, 0);
            }
            session.ThrowIfCancelled();
        }
    }
}
