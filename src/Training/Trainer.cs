using System.Diagnostics;
using MLNetExt.Training.Checkpoints;
using MLNetExt.Training.Optim;
using MLNetExt.Training.Parallel;
using MLNetExt.Training.Telemetry;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.Training;

/// <summary>
/// Trains any <see cref="ITrainingTask{TModel,TBatch}"/> with AdamW, data parallelism over replicas, fp32 or bf16
/// compute with fp32 master weights, checkpoints and telemetry. <see cref="TrainStep(IReadOnlyList{TBatch})"/> is the whole step.
/// </summary>
public sealed partial class Trainer<TModel, TBatch> : IDisposable where TModel : nn.Module
{
    readonly ITrainingTask<TModel, TBatch> _task;
    readonly TrainerOptions _options;
    readonly IGradientReducer _reducer;
    readonly ReplicaSet<TModel> _replicas;
    readonly AdamW _optimizer;
    TrainerState _state;

    /// <summary>The fp32 master model (its state_dict is what checkpoints store).</summary>
    public TModel Model => _replicas.Master;
    /// <summary>Optimizer steps applied so far (reads any unread step results from the device first).</summary>
    public long Step
    {
        get
        {
            Resolve();
            return _state.Step;
        }
    }

    ScalarType ComputeType => _options.Precision == TrainingPrecision.BFloat16 ? ScalarType.BFloat16 : ScalarType.Float32;

    /// <summary>
    /// Trains until the schedule's last step, early stopping, or cancellation (which saves a checkpoint first, then
    /// throws <see cref="OperationCanceledException"/>). Resumes from the newest checkpoint when asked to.
    /// </summary>
    public TrainingResult Fit(IReadOnlyList<TBatch> train, IReadOnlyList<TBatch>? eval = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (train.Count == 0) throw new ArgumentException("The training data has no batches; there is nothing to train on.", nameof(train));
        if (eval is { Count: 0 }) throw new ArgumentException("The evaluation data has no batches; pass null to train without evaluation.", nameof(eval));
        var store = Checkpoints();
        if (_options.Resume && _state.Step == 0 && store?.Latest() is string latest) LoadCheckpoint(latest);
        bool lead = _reducer.Rank == 0;
        using var metrics = lead && _options.OutputDirectory is string dir ? new MetricsLog(Path.Combine(dir, "metrics.jsonl")) : null;
        double peak = _options.PeakFlops ?? PeakFlops.Total(_replicas.Devices, ComputeType) * _reducer.WorldSize ?? double.NaN;
        var losses = new List<(long, double)>();
        var evals = new List<(long, double)>();
        int skipped = 0;
        bool stoppedEarly = false;
        string? lastCheckpoint = null;
        long total = _options.Schedule.TotalSteps;
        var clock = Stopwatch.StartNew();

        ConsoleReporter.Run(_options.ShowProgress && lead, _options.LogEvery, _state.Step, total, console =>
        {
            while (_state.Step < total && !stoppedEarly)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    lastCheckpoint = Save(store);
                    cancellationToken.ThrowIfCancellationRequested();
                }
                // Queue the next step's forward/backward behind this one, so reading this step's result below does not drain the device.
                var step = TrainStep(NextMicroBatches(train), _state.Step + 1 < total && Lookahead ? NextMicroBatches(train, stepsAhead: 1) : null);
                if (!step.Applied)
                {
                    skipped++;
                    string warning = $"step {_state.Step}: non-finite loss {step.Loss} or gradient norm {step.GradNorm}; step skipped ({_state.NonFiniteStreak} in a row)";
                    console.Warn(warning);
                    metrics?.Warn(_state.Step, warning);
                    if (_state.NonFiniteStreak >= _options.MaxConsecutiveNonFinite)
                        throw new InvalidOperationException($"{_state.NonFiniteStreak} consecutive steps had a non-finite loss or gradient (last at step {_state.Step}); lower the learning rate or check the data and precision.");
                    continue;
                }
                losses.Add((_state.Step, step.Loss));
                double? evalLoss = null;
                if (eval is not null && ((_options.EvalEvery > 0 && _state.Step % _options.EvalEvery == 0) || _state.Step == total))
                {
                    evalLoss = Evaluate(eval);
                    evals.Add((_state.Step, evalLoss.Value));
                    stoppedEarly = UpdateEarlyStopping(evalLoss.Value);
                }
                if ((_options.CheckpointEvery > 0 && _state.Step % _options.CheckpointEvery == 0) || _state.Step == total || stoppedEarly)
                    lastCheckpoint = Save(store) ?? lastCheckpoint;
                double seconds = step.Total.TotalSeconds;
                var report = new TrainingProgress(_state.Step, total, step.Loss, step.LearningRate, step.GradNorm, step.Tokens,
                    step.Tokens / seconds, step.Flops / seconds / peak, evalLoss, clock.Elapsed);
                metrics?.Write(report);
                console.Report(report);
                progress?.Report(report);
            }
        });
        if (lead && _options.OutputDirectory is string outDir && losses.Count > 0) LossPlot.Save(Path.Combine(outDir, "loss.png"), losses, evals);
        return new TrainingResult(_state.Step, losses, evals, _state.BestEvalLoss, _state.BestEvalStep, stoppedEarly, skipped, lastCheckpoint);
    }

    /// <summary>Mean loss per loss term over <paramref name="batches"/>, in eval mode, with fixed per-batch randomness.</summary>
    public double Evaluate(IReadOnlyList<TBatch> batches)
    {
        if (batches.Count == 0) throw new ArgumentException("The evaluation data has no batches.", nameof(batches));
        _replicas.SetTraining(false);
        try
        {
            double sum = 0, count = 0;
            for (int i = 0; i < batches.Count; i++)
            {
                var shards = LocalShards(_task.Prepare(batches[i], new Random(Seeds.Mix(_options.Seed, -1, i))));
                foreach (var (s, c) in _replicas.OnEach(r => EvaluateShard(r, shards[r])))
                {
                    sum += s;
                    count += c;
                }
            }
            var totals = _reducer.SumScalars([sum, count]);
            if (totals[1] == 0) throw new InvalidOperationException("The evaluation data produced no loss terms (e.g. no masked tokens or labels).");
            return totals[0] / totals[1];
        }
        finally
        {
            _replicas.SetTraining(true);
        }
    }

    (double Sum, long Count) EvaluateShard(int replica, TBatch shard)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var loss = _task.Loss(_replicas.Replicas[replica], shard, _replicas.Devices[replica]);
        return (loss.Sum.to_type(ScalarType.Float64).item<double>(), loss.Count);
    }
}
