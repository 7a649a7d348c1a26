using System.Diagnostics;
using MLNetExt.Training.Optim;
using MLNetExt.Training.Transfer;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.Training;

// The step: plan (a worker thread, one micro-batch ahead) -> forward/backward on every replica -> reduce -> clip,
// skip-or-apply and AdamW, all queued on the device without waiting for it. Values the host needs (loss, norm,
// whether the step applied) stay on the device until read; see StepResult.
public sealed partial class Trainer<TModel, TBatch>
{
    /// <summary>Unread steps after which the next step reads them (bounds the device-side learning-rate choice).</summary>
    const int MaxUnresolved = 16;
    static readonly long[] ScalarShape = [];

    readonly IPlannedTask<TModel, TBatch>? _planner;
    readonly List<(StepResult Result, Tensor Stats, long Terms, TimeSpan Start)> _unresolved = [];
    readonly Stopwatch _clock = Stopwatch.StartNew();
    Tensor? _applied;         // [] int64 on the master device: optimizer steps applied so far
    Accumulated? _speculated; // the next step's forward/backward, queued ahead by TrainStep's lookahead

    /// <summary>Diagnostic mode: wait for the device after every phase so <see cref="StepResult.Timings"/> are device times.</summary>
    internal bool SyncEachPhase { get; set; }

    /// <summary>Whether Fit queues the next step's forward/backward before reading a step's result (off: for comparison).</summary>
    internal bool Lookahead { get; set; } = true;

    /// <summary>A micro-batch after Prepare and Split: per local replica its shard, or the task's plan of it.</summary>
    sealed record Planned(object[] Shards, long Tokens, double Flops);

    /// <summary>Gradients of some micro-batches, summed in the replicas' buffers, and what the commit needs to know of them.</summary>
    sealed record Accumulated(IReadOnlyList<TBatch> Batches, long Position, Tensor[] LossSums, long Terms, long Tokens, double Flops,
        TimeSpan Prepare, TimeSpan Forward, TimeSpan Backward);

    /// <summary>
    /// One optimizer step over <paramref name="microBatches"/> (gradient accumulation): every micro-batch is split
    /// into one shard per replica, shards run forward/backward concurrently, the summed gradients are reduced,
    /// averaged over all loss terms, clipped and applied once to the master weights, which are then copied down.
    /// Nothing here waits for the device: read the result's values when needed.
    /// </summary>
    public StepResult TrainStep(IReadOnlyList<TBatch> microBatches) => TrainStep(microBatches, null);

    /// <summary>
    /// As <see cref="TrainStep(IReadOnlyList{TBatch})"/>, then also queues the forward/backward of
    /// <paramref name="lookahead"/> (the next step's micro-batches), so reading this step's result waits for work
    /// queued after it rather than draining the device. The next call with exactly those batches only commits them.
    /// </summary>
    internal StepResult TrainStep(IReadOnlyList<TBatch> microBatches, IReadOnlyList<TBatch>? lookahead)
    {
        if (microBatches.Count == 0) throw new ArgumentException("A step needs at least one micro-batch.", nameof(microBatches));
        var start = _clock.Elapsed;
        long position = _state.MicroBatchesConsumed;
        var speculated = _speculated is { } s && s.Position == position && s.Batches.Count == microBatches.Count
            && s.Batches.Zip(microBatches).All(p => ReferenceEquals(p.First, p.Second)) ? s : null;
        _speculated = null;
        // One queue for this step's batches (unless already run) and the lookahead's, so planning stays one batch ahead across both.
        var planner = new PlanQueue(this);
        if (speculated is null)
            for (int m = 0; m < microBatches.Count; m++) planner.Add(microBatches[m], position + m);
        if (lookahead is not null)
            for (int m = 0; m < lookahead.Count; m++) planner.Add(lookahead[m], position + microBatches.Count + m);
        var current = speculated ?? Accumulate(microBatches, position, planner);
        _state = _state with { MicroBatchesConsumed = position + microBatches.Count };
        var result = Commit(current, start);
        if (lookahead is { Count: > 0 })
        {
            // A failure belongs to the step that owns those batches: drop the work; the next call redoes it and throws there.
            try { _speculated = Accumulate(lookahead, position + microBatches.Count, planner); }
            catch (Exception) { _speculated = null; }
        }
        return result;
    }

    /// <summary>Plans queued micro-batches one ahead on a worker thread when the task plans, else inline when taken.</summary>
    sealed class PlanQueue(Trainer<TModel, TBatch> trainer)
    {
        readonly Queue<(TBatch Batch, long Position)> _todo = new();
        Task<Planned>? _next;

        public void Add(TBatch batch, long position) => _todo.Enqueue((batch, position));

        public Planned Take()
        {
            Planned planned;
            if (_next is not null)
            {
                try { planned = _next.GetAwaiter().GetResult(); }
                finally { _next = null; }
            }
            else
            {
                var (batch, position) = _todo.Dequeue();
                planned = trainer.Plan(batch, position);
            }
            if (trainer._planner is not null && _todo.Count > 0)
            {
                var (batch, position) = _todo.Dequeue();
                _next = Task.Run(() => trainer.Plan(batch, position));
            }
            return planned;
        }
    }

    /// <summary>Per-step randomness (e.g. masking), seeded by the micro-batch's position in the run, then one shard per replica.</summary>
    Planned Plan(TBatch batch, long position)
    {
        var prepared = _task.Prepare(batch, new Random(Seeds.Mix(_options.Seed, position, -3)));
        var shards = LocalShards(prepared);
        long tokens = _task.CountTokens(prepared);
        return new Planned(shards.Select(s => _planner is null ? s! : _planner.Plan(s)).ToArray(), tokens, _task.FlopsPerToken(prepared) * tokens);
    }

    Accumulated Accumulate(IReadOnlyList<TBatch> microBatches, long position, PlanQueue planner)
    {
        // Dropout replays exactly after a resume (CPU replicas share one generator, so only a single CPU replica is exact).
        SeedTorch(Seeds.Mix(_options.Seed, position, -4));
        var lossSums = _replicas.Devices.Select(d => zeros(ScalarShape, ScalarType.Float64, d).DetachFromDisposeScope()).ToArray();
        TimeSpan prepare = TimeSpan.Zero, forward = TimeSpan.Zero, backward = TimeSpan.Zero;
        long terms = 0, tokens = 0;
        double flops = 0;
        var clock = Stopwatch.StartNew();
        for (int m = 0; m < microBatches.Count; m++)
        {
            var t = clock.Elapsed;
            var planned = planner.Take();
            tokens += planned.Tokens;
            flops += planned.Flops;
            prepare += clock.Elapsed - t;
            bool first = m == 0;
            t = clock.Elapsed;
            var outcomes = _replicas.OnEach(r => ForwardBackward(r, planned.Shards[r], lossSums[r], first));
            terms += outcomes.Sum(o => o.Count);
            // Replica 0's forward; the rest of the wall time (until the slowest replica is done) counts as backward.
            forward += outcomes[0].Forward;
            backward += clock.Elapsed - t - outcomes[0].Forward;
        }
        return new Accumulated(microBatches, position, lossSums, terms, tokens, flops, prepare, forward, backward);
    }

    (long Count, TimeSpan Forward, TimeSpan Backward) ForwardBackward(int replica, object shard, Tensor lossSum, bool first)
    {
        using var scope = NewDisposeScope();
        var buffers = _replicas.Buffers(replica);
        if (first || !buffers.AccumulatesInPlace) buffers.ZeroGradients();
        var (model, device) = (_replicas.Replicas[replica], _replicas.Devices[replica]);
        var clock = Stopwatch.StartNew();
        var loss = _planner is null ? _task.Loss(model, (TBatch)shard, device) : _planner.Loss(model, shard, device);
        Synchronize(device);
        var forward = clock.Elapsed;
        // The SUMMED loss: dividing by the global term count in the optimizer gives exactly the full batch's mean-loss gradient.
        if (loss.Count > 0) loss.Sum.backward();
        buffers.Collect(first);
        using (no_grad()) lossSum.PlusInPlace(loss.Sum.detach().to_type(ScalarType.Float64));
        Synchronize(device);
        return (loss.Count, forward, clock.Elapsed - forward);
    }

    /// <summary>Reduce, clip, skip-or-apply and AdamW, all on the device; the step's values are left there for <see cref="Resolve"/>.</summary>
    StepResult Commit(Accumulated step, TimeSpan start)
    {
        if (_unresolved.Count >= MaxUnresolved) Resolve();
        using var scope = NewDisposeScope();
        var clock = Stopwatch.StartNew();
        var master = _replicas.Devices[0];
        _reducer.SumBuckets(_replicas.GradientBuckets);
        long terms = _reducer.WorldSize == 1 ? step.Terms : (long)_reducer.SumScalars([step.Terms])[0];
        var lossSum = step.LossSums[0];
        for (int r = 1; r < step.LossSums.Length; r++) lossSum = lossSum.Plus(step.LossSums[r].to(master));
        Synchronize(master);
        var reduce = clock.Elapsed;

        double gradScale = 1.0 / Math.Max(terms, 1);
        var norm = _replicas.MasterGradient.norm();
        var finite = GlobalFinite(lossSum, norm, terms);
        using var skip = finite.logical_not().to_type(ScalarType.Float32);
        var (lr, lrOnDevice) = LearningRate(master);
        _optimizer.Step(lr, GradientClipping.Divisor(norm, gradScale, _options.MaxGradNorm), skip);
        _replicas.CopyMasterToReplicas();
        _applied ??= AppliedCounter(master);
        _applied.PlusInPlace(finite.to_type(ScalarType.Int64));
        using var scaleScalar = gradScale.ToScalar();
        var stats = stack([lossSum, norm.to_type(ScalarType.Float64).mul(scaleScalar), finite.to_type(ScalarType.Float64), lrOnDevice]);
        Synchronize(master);
        var optimizer = clock.Elapsed - reduce;
        foreach (var t in step.LossSums) t.Dispose();

        var result = new StepResult(step.Tokens, step.Flops, new StepTimings(step.Prepare, step.Forward, step.Backward, reduce, optimizer), Resolve);
        _unresolved.Add((result, stats.DetachFromDisposeScope(), terms, start));
        return result;
    }

    /// <summary>The device's count of applied steps, started from the host's when nothing is unread.</summary>
    Tensor AppliedCounter(Device device)
    {
        using var known = _state.Step.ToScalar();
        return full(ScalarShape, known, ScalarType.Int64, device).DetachFromDisposeScope();
    }

    /// <summary>Whether the step applies: every rank must decide alike, so across processes the loss is summed on the host first.</summary>
    Tensor GlobalFinite(Tensor lossSum, Tensor norm, long terms)
    {
        if (terms == 0) return zeros(ScalarShape, ScalarType.Bool, norm.device); // no loss terms anywhere: nothing to learn from
        if (_reducer.WorldSize == 1) return lossSum.isfinite().logical_and(norm.isfinite());
        double global = _reducer.SumScalars([DeviceTraffic.Read(lossSum)[0]])[0];
        return double.IsFinite(global) ? norm.isfinite() : zeros(ScalarShape, ScalarType.Bool, norm.device);
    }

    /// <summary>
    /// The schedule at the number of applied steps, exact without reading the device: with unread steps pending, the
    /// candidates (one per possible count) are chosen on the device by the applied-steps counter. Returns the rate
    /// for the optimizer (a CPU tensor when known on the host: the fused kernel reads it there) and a copy on the device.
    /// </summary>
    (Tensor ForOptimizer, Tensor OnDevice) LearningRate(Device device)
    {
        long known = _state.Step;
        using var first = _options.Schedule.At(known).ToScalar();
        var lr = full(ScalarShape, first, ScalarType.Float64, device);
        if (_unresolved.Count == 0) return (tensor(_options.Schedule.At(known), ScalarType.Float64), lr);
        for (int j = 1; j <= _unresolved.Count; j++)
        {
            using var count = (known + j).ToScalar();
            using var value = _options.Schedule.At(known + j).ToScalar();
            lr.masked_fill_(_applied!.ge(count), value);
        }
        return (lr, lr);
    }

    /// <summary>Reads every unread step's values in one transfer and advances the host's bookkeeping.</summary>
    void Resolve()
    {
        if (_unresolved.Count == 0) return;
        double[] values;
        using (var scope = NewDisposeScope()) values = DeviceTraffic.Read(cat(_unresolved.Select(u => u.Stats).ToArray()));
        var now = _clock.Elapsed;
        for (int i = 0; i < _unresolved.Count; i++)
        {
            var (result, stats, terms, start) = _unresolved[i];
            stats.Dispose();
            double lossSum = values[4 * i], gradNorm = values[4 * i + 1], lr = values[4 * i + 3];
            bool applied = values[4 * i + 2] != 0;
            if (_reducer.WorldSize > 1) lossSum = _reducer.SumScalars([lossSum])[0];
            result.Resolve(applied, lossSum / terms, lr, gradNorm, now - start);
            _state = applied
                ? _state with { Step = _state.Step + 1, NonFiniteStreak = 0 }
                : _state with { NonFiniteStreak = _state.NonFiniteStreak + 1 };
        }
        _unresolved.Clear();
    }

    void Synchronize(Device device)
    {
        if (SyncEachPhase && device.type == DeviceType.CUDA) cuda.synchronize(device);
    }
}
