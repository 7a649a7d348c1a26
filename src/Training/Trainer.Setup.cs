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
        _state = new TrainerState(0, 0, 0, options.Seed, double.PositiveInfinity, -1, 0, 0, options.Schedule.ToString());
    }

    static void Validate(TrainerOptions o)
    {
        if (o.Schedule.TotalSteps < 1) throw new ArgumentException($"Schedule.TotalSteps is {o.Schedule.TotalSteps}; train for at least one step.");
        if (o.AccumulationSteps < 1) throw new ArgumentException($"AccumulationSteps is {o.AccumulationSteps}; it must be at least 1.");
        if (o.MaxConsecutiveNonFinite < 1) throw new ArgumentException($"MaxConsecutiveNonFinite is {o.MaxConsecutiveNonFinite}; it must be at least 1.");
        if (o.BucketBytes < sizeof(float)) throw new ArgumentException($"BucketBytes is {o.BucketBytes}; it must hold at least one float.");
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
        return store.Save(_replicas.Master, _optimizer.StateDict(), _state with { OptimizerSteps = _optimizer.StepCount });
    }

    void LoadCheckpoint(string path)
    {
        Resolve();
        _applied?.Dispose();
        (_speculated, _applied) = (null, null);
        var (optimizerState, state) = CheckpointStore.Load(path, _replicas.Master);
        if (state.Seed != _options.Seed)
            throw new InvalidOperationException($"Checkpoint {path} was trained with seed {state.Seed}, these options say {_options.Seed}; resuming would not replay the run.");
        _optimizer.LoadStateDict(optimizerState, state.OptimizerSteps);
        foreach (var t in optimizerState.Values) t.Dispose();
        _state = state;
        _replicas.CopyMasterToReplicas();
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
