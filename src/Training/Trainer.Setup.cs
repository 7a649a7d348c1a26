using System.Globalization;
using System.Text.Json;
using MLNetExt.Training.Checkpoints;
using MLNetExt.Training.Optim;
using MLNetExt.Training.Parallel;
using MLNetExt.Training.Parallel.Nccl;
using static TorchSharp.torch;

namespace MLNetExt.Training;

// Construction, data order, early stopping and checkpoints: everything around the step.
public sealed partial class Trainer<TModel, TBatch>
{
    public Trainer(ITrainingTask<TModel, TBatch> task, TrainerOptions options)
    {
        Validate(options);
        _task = task;
        _planner = task as IPlannedTask<TModel, TBatch>;
        _options = options;
        var devices = Parallel.Devices.Parse(options.Devices);
        _reducer = CreateReducer(options.Backend, devices);
        SeedTorch(options.Seed);
        _replicas = new ReplicaSet<TModel>(task.CreateModel, devices, ComputeType, options.BucketBytes, task.DecaysWeight);
        _optimizer = new AdamW(_replicas.Groups, options.AdamW);
        _state = new TrainerState(0, 0, 0, double.PositiveInfinity, -1, 0, 0, RunIdentity(options));
    }

    static void Validate(TrainerOptions o)
    {
        var s = o.Schedule;
        Require(s.TotalSteps >= 1, $"Schedule.TotalSteps is {s.TotalSteps}; train for at least one step.");
        Require(double.IsFinite(s.PeakLr) && s.PeakLr > 0, $"Schedule.PeakLr is {s.PeakLr}; the learning rate must be a finite number > 0.");
        Require(s.WarmupSteps >= 0, $"Schedule.WarmupSteps is {s.WarmupSteps}; it cannot be negative.");
        Require(s.MinLrRatio is >= 0 and <= 1, $"Schedule.MinLrRatio is {s.MinLrRatio}; it must be in [0, 1].");
        var a = o.AdamW;
        Require(a.Beta1 is >= 0 and < 1 && a.Beta2 is >= 0 and < 1, $"AdamW betas are ({a.Beta1}, {a.Beta2}); each must be in [0, 1).");
        Require(double.IsFinite(a.Epsilon) && a.Epsilon > 0, $"AdamW.Epsilon is {a.Epsilon}; it must be a finite number > 0.");
        Require(double.IsFinite(a.WeightDecay) && a.WeightDecay >= 0, $"AdamW.WeightDecay is {a.WeightDecay}; it must be a finite number >= 0.");
        Require(double.IsFinite(o.MaxGradNorm) && o.MaxGradNorm >= 0, $"MaxGradNorm is {o.MaxGradNorm}; it must be a finite number >= 0 (0 disables clipping).");
        Require(o.AccumulationSteps >= 1, $"AccumulationSteps is {o.AccumulationSteps}; it must be at least 1.");
        Require(o.MaxConsecutiveNonFinite >= 1, $"MaxConsecutiveNonFinite is {o.MaxConsecutiveNonFinite}; it must be at least 1.");
        Require(o.BucketBytes >= sizeof(float), $"BucketBytes is {o.BucketBytes}; it must hold at least one float.");
        Require(o.EvalEvery >= 0 && o.EarlyStoppingPatience >= 0 && o.CheckpointEvery >= 0,
            $"EvalEvery ({o.EvalEvery}), EarlyStoppingPatience ({o.EarlyStoppingPatience}) and CheckpointEvery ({o.CheckpointEvery}) cannot be negative.");
        Require(o.KeepCheckpoints >= 1, $"KeepCheckpoints is {o.KeepCheckpoints}; keep at least one.");
    }

    static void Require(bool ok, string message)
    {
        if (!ok) throw new ArgumentException(message);
    }

    /// <summary>
    /// The caller's fingerprint plus everything in these options that changes the trajectory (devices do not: any
    /// replica count takes the same steps). Invariant JSON, so the text is the same on every machine.
    /// </summary>
    static SortedDictionary<string, string> RunIdentity(TrainerOptions o)
    {
        var run = new SortedDictionary<string, string>(o.Fingerprint.ToDictionary(), StringComparer.Ordinal)
        {
            ["seed"] = o.Seed.ToString(CultureInfo.InvariantCulture),
            ["schedule"] = $"{o.Schedule.GetType().Name} {JsonSerializer.Serialize(o.Schedule, o.Schedule.GetType())}",
            ["optimizer"] = $"AdamW {JsonSerializer.Serialize(o.AdamW)}, clip {o.MaxGradNorm.ToString(CultureInfo.InvariantCulture)}",
            ["precision"] = o.Precision.ToString(),
            ["batches"] = $"{o.AccumulationSteps} per step, shuffled {o.Shuffle}",
        };
        return run;
    }

    static IGradientReducer CreateReducer(GradientBackend backend, Device[] devices)
    {
        if (backend == GradientBackend.InProcess) return new InProcessReducer();
        var env = DistributedEnvironment.FromEnvironment();
        if (env is null || env.WorldSize == 1) return NcclReducer.ForLocalDevices(devices);
        if (devices.Length != 1)
            throw new ArgumentException($"Under a multi-process launch (rank {env.Rank} of {env.WorldSize}) each process drives one GPU; got {devices.Length} devices. Use \"cuda:{env.LocalRank}\".");
        return NcclReducer.ForRank(env, devices[0]);
    }

    static void SeedTorch(int seed)
    {
        random.manual_seed(seed);
        if (cuda.is_available()) cuda.manual_seed_all(seed);
    }

    /// <summary>This process's shards of a prepared batch: the batch is split over every replica of every rank.</summary>
    IReadOnlyList<TBatch> LocalShards(TBatch batch)
    {
        int local = _replicas.Count, parts = local * _reducer.WorldSize;
        var shards = _task.Split(batch, parts);
        if (shards.Count != parts) throw new InvalidOperationException($"The task split a batch into {shards.Count} shards; {parts} were asked for.");
        return shards.Skip(_reducer.Rank * local).Take(local).ToArray();
    }

    /// <summary>
    /// The AccumulationSteps batches <paramref name="stepsAhead"/> steps after those consumed so far, in each epoch's
    /// seeded order, wrapping into the next epoch (TrainStep counts them as consumed).
    /// </summary>
    TBatch[] NextMicroBatches(IReadOnlyList<TBatch> train, int stepsAhead = 0)
    {
        var batches = new TBatch[_options.AccumulationSteps];
        for (int i = 0; i < batches.Length; i++)
        {
            long position = _state.MicroBatchesConsumed + (long)stepsAhead * batches.Length + i;
            long epoch = position / train.Count;
            if (_order is null || _orderEpoch != epoch || _order.Length != train.Count) (_order, _orderEpoch) = (EpochOrder(train.Count, epoch), epoch);
            batches[i] = train[_order[position % train.Count]];
        }
        return batches;
    }

    int[]? _order;
    long _orderEpoch = -1;

    int[] EpochOrder(int count, long epoch)
    {
        var order = Enumerable.Range(0, count).ToArray();
        if (_options.Shuffle) new Random(Seeds.Mix(_options.Seed, epoch, -2)).Shuffle(order);
        return order;
    }

    /// <summary>Records an evaluation; true when patience has run out.</summary>
    bool UpdateEarlyStopping(double evalLoss)
    {
        if (evalLoss < _state.BestEvalLoss - _options.EarlyStoppingMinDelta)
            _state = _state with { BestEvalLoss = evalLoss, BestEvalStep = _state.Step, EvalsWithoutImprovement = 0 };
        else
            _state = _state with { EvalsWithoutImprovement = _state.EvalsWithoutImprovement + 1 };
        return _options.EarlyStoppingPatience > 0 && _state.EvalsWithoutImprovement >= _options.EarlyStoppingPatience;
    }

    CheckpointStore? Checkpoints() =>
        _options.OutputDirectory is string dir ? new CheckpointStore(Path.Combine(dir, "checkpoints"), _options.KeepCheckpoints) : null;

    string? Save(CheckpointStore? store)
    {
        if (store is null || _reducer.Rank != 0) return null;
        Resolve();
        using var scope = NewDisposeScope(); // the optimizer state comes as per-parameter views
        _savedStep = _state.Step;
        return store.Save(_replicas.Master, _optimizer.StateDict(), _state with { OptimizerSteps = _optimizer.StepCount });
    }

    long _savedStep = -1;

    /// <summary>Resumes from the newest checkpoint, refusing one of another run; or, when not resuming, deletes what an older run left.</summary>
    void ResumeOrStartOver(CheckpointStore? store)
    {
        if (store is null || _state.Step > 0) return;
        if (!_options.Resume)
        {
            if (_reducer.Rank != 0) return;
            store.Clear();
            string metrics = Path.Combine(_options.OutputDirectory!, MetricsFile);
            if (File.Exists(metrics)) File.Delete(metrics);
            return;
        }
        if (store.Latest() is not string latest) return;
        var saved = CheckpointStore.ReadState(latest).Run ?? new Dictionary<string, string>();
        var differences = _state.Run.Keys.Union(saved.Keys).Order(StringComparer.Ordinal)
            .Where(key => saved.GetValueOrDefault(key) != _state.Run.GetValueOrDefault(key))
            .Select(key => $"{key}: checkpoint '{saved.GetValueOrDefault(key) ?? "(none)"}', this run '{_state.Run.GetValueOrDefault(key) ?? "(none)"}'")
            .ToList();
        if (differences.Count > 0)
            throw new InvalidOperationException($"Cannot resume from {latest}: it belongs to another run ({string.Join("; ", differences)}). " +
                "Use another output folder, or turn Resume off to start over (which deletes these checkpoints).");
        LoadCheckpoint(latest);
    }

    void LoadCheckpoint(string path)
    {
        Resolve();
        _applied?.Dispose();
        (_speculated, _applied) = (null, null);
        var (optimizerState, state) = CheckpointStore.Load(path, _replicas.Master);
        _optimizer.LoadStateDict(optimizerState, state.OptimizerSteps);
        foreach (var t in optimizerState.Values) t.Dispose();
        _state = state;
        _savedStep = state.Step;
        _replicas.CopyMasterToReplicas();
    }

    /// <summary>Throws naming a parameter when a master weight is NaN or infinite: such a model must never leave Fit.</summary>
    void EnsureFiniteWeights()
    {
        using var scope = NewDisposeScope();
        foreach (var (name, p) in _replicas.Master.named_parameters())
            if (!isfinite(p).all().item<bool>())
                throw new InvalidOperationException($"Training left non-finite weights (e.g. in '{name}' at step {_state.Step}); no model is returned. " +
                    "Lower the learning rate, or check the weight decay, the data and the precision.");
    }

    public void Dispose()
    {
        foreach (var (_, stats, _, _) in _unresolved) stats.Dispose();
        foreach (var t in _speculated?.LossSums ?? []) t.Dispose();
        _applied?.Dispose();
        _optimizer.Dispose();
        _replicas.Dispose();
        _reducer.Dispose();
    }
}
