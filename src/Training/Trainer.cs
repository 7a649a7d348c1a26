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
/// compute with fp32 master weights, checkpoints and telemetry. <see cref="TrainStep"/> is the whole step.
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
    /// <summary>Optimizer steps taken so far.</summary>
    public long Step => _state.Step;

    ScalarType ComputeType => _options.Precision == TrainingPrecision.BFloat16 ? ScalarType.BFloat16 : ScalarType.Float32;

    /// <summary>
    /// One optimizer step over <paramref name="microBatches"/> (gradient accumulation): every micro-batch is split
    /// into one shard per replica, shards run forward/backward concurrently, the summed gradients are reduced,
    /// averaged over all loss terms, clipped and applied once to the master weights, which are then copied down.
    /// </summary>
    public StepResult TrainStep(IReadOnlyList<TBatch> microBatches)
    {
        if (microBatches.Count == 0) throw new ArgumentException("A step needs at least one micro-batch.", nameof(microBatches));
        using var scope = NewDisposeScope();
        var clock = Stopwatch.StartNew();
        TimeSpan shard = TimeSpan.Zero, forwardBackward = TimeSpan.Zero;
        // Dropout replays exactly after a resume (CPU replicas share one generator, so only a single CPU replica is exact).
        SeedTorch(Seeds.Mix(_options.Seed, _state.Step, -1));
        _replicas.ZeroGradients();
        double lossSum = 0, flops = 0;
        long terms = 0, tokens = 0;
        for (int m = 0; m < microBatches.Count; m++)
        {
            // 1. Per-step randomness (e.g. masking) on the whole micro-batch, then one token-balanced shard per replica.
            var start = clock.Elapsed;
            var batch = _task.Prepare(microBatches[m], new Random(Seeds.Mix(_options.Seed, _state.Step, m)));
            var shards = LocalShards(batch);
            long batchTokens = _task.CountTokens(batch);
            tokens += batchTokens;
            flops += _task.FlopsPerToken(batch) * batchTokens;
            shard += clock.Elapsed - start;

            // 2. Forward and backward of the SUMMED loss on every replica at once; gradients accumulate in fp32 buckets
            //    (directly for fp32 replicas, copied up below for bf16 ones).
            start = clock.Elapsed;
            foreach (var (sum, count) in _replicas.OnEach(r => ForwardBackward(r, shards[r])))
            {
                lossSum += sum;
                terms += count;
            }
            forwardBackward += clock.Elapsed - start;
        }

        // 3. Sum gradients over replicas and ranks. Dividing by the global loss-term count gives exactly the gradient of
        //    the full batch's mean loss, whatever the sharding; that factor is applied inside the optimizer step.
        var syncStart = clock.Elapsed;
        _replicas.CollectGradients();
        _reducer.SumBuckets(_replicas.GradientBuckets);
        var totals = _reducer.SumScalars([lossSum, terms]);
        double loss = totals[0] / totals[1], gradScale = 1 / totals[1];
        var sync = clock.Elapsed - syncStart;

        // 4. Clip the global norm; skip the step on NaN/inf; AdamW at the scheduled rate; copy weights to the replicas.
        var updateStart = clock.Elapsed;
        double gradNorm = GradientClipping.GlobalNorm(_replicas.MasterGradients) * gradScale;
        double lr = _options.Schedule.At(_state.Step);
        bool finite = double.IsFinite(loss) && double.IsFinite(gradNorm);
        if (finite)
        {
            _optimizer.Step(lr, gradScale * GradientClipping.ClipFactor(gradNorm, _options.MaxGradNorm));
            _replicas.CopyMasterToReplicas();
        }
        _state = finite
            ? _state with { Step = _state.Step + 1, NonFiniteStreak = 0 }
            : _state with { NonFiniteStreak = _state.NonFiniteStreak + 1 };
        var update = clock.Elapsed - updateStart;
        return new StepResult(finite, loss, lr, gradNorm, tokens, flops, shard, forwardBackward, sync, update, clock.Elapsed);
    }

    (double Sum, long Count) ForwardBackward(int replica, TBatch shard)
    {
        using var scope = NewDisposeScope();
        var loss = _task.Loss(_replicas.Replicas[replica], shard, _replicas.Devices[replica]);
        if (loss.Count > 0) loss.Sum.backward();
        return (loss.Sum.to_type(ScalarType.Float64).item<double>(), loss.Count);
    }

    /// <summary>
    /// Trains until the schedule's last step or early stopping, then checks that every weight is finite. A stop (the
    /// token, or an <see cref="OperationCanceledException"/> from <paramref name="progress"/>) saves a checkpoint of
    /// the last completed step first, then throws. Resumes from the newest checkpoint of the same run when asked to.
    /// </summary>
    public TrainingResult Fit(IReadOnlyList<TBatch> train, IReadOnlyList<TBatch>? eval = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (train.Count == 0) throw new ArgumentException("The training data has no batches; there is nothing to train on.", nameof(train));
        if (eval is { Count: 0 }) throw new ArgumentException("The evaluation data has no batches; pass null to train without evaluation.", nameof(eval));
        var store = Checkpoints();
        ResumeOrStartOver(store);
        bool lead = _reducer.Rank == 0;
        using var metrics = lead && _options.OutputDirectory is string dir ? new MetricsLog(Path.Combine(dir, MetricsFile)) : null;
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
            try
            {
                while (_state.Step < total && !stoppedEarly)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var step = TrainStep(NextMicroBatches(train));
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
                    bool atEnd = _state.Step == total || stoppedEarly;
                    if ((_options.CheckpointEvery > 0 && _state.Step % _options.CheckpointEvery == 0) || (atEnd && _options.CheckpointAtEnd))
                        lastCheckpoint = Save(store) ?? lastCheckpoint;
                    double seconds = step.Total.TotalSeconds;
                    var report = new TrainingProgress(_state.Step, total, step.Loss, step.LearningRate, step.GradNorm, step.Tokens,
                        step.Tokens / seconds, step.Flops / seconds / peak, evalLoss, clock.Elapsed);
                    metrics?.Write(report);
                    console.Report(report);
                    progress?.Report(report);
                }
            }
            catch (OperationCanceledException)
            {
                // Whoever stops the run (token or progress callback), the steps taken so far are kept.
                if (_state.Step > 0 && _savedStep != _state.Step) lastCheckpoint = Save(store) ?? lastCheckpoint;
                throw;
            }
        });
        if (lead && _options.OutputDirectory is string outDir && losses.Count > 0) LossPlot.Save(Path.Combine(outDir, "loss.png"), losses, evals);
        EnsureFiniteWeights();
        return new TrainingResult(_state.Step, losses, evals, _state.BestEvalLoss, _state.BestEvalStep, stoppedEarly, skipped, lastCheckpoint);
    }

    const string MetricsFile = "metrics.jsonl";

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
