using MLNetExt.Training;
using MLNetExt.Training.Objectives;
using MLNetExt.Training.Parallel;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetExt.Tests.Training;

/// <summary>Rows of features with class labels; <see cref="Poison"/> makes the loss NaN.</summary>
sealed record ToyBatch(float[][] Features, long[] Labels, bool Poison = false)
{
    public ToyBatch Slice(int from, int to) => new(Features[from..to], Labels[from..to], Poison);
}

/// <summary>A two-layer classifier with the parameter kinds the trainer treats differently (embedding-like, norm, bias).</summary>
sealed class ToyModel : nn.Module<Tensor, Tensor>
{
    readonly Linear embed_proj;
    readonly LayerNorm norm;
    readonly Dropout dropout;
    readonly Linear head;

    public ToyModel(int inputs, int hidden, int classes, double dropout) : base(nameof(ToyModel))
    {
        embed_proj = nn.Linear(inputs, hidden);
        norm = nn.LayerNorm(hidden);
        this.dropout = nn.Dropout(dropout);
        head = nn.Linear(hidden, classes);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => head.forward(dropout.forward(nn.functional.gelu(norm.forward(embed_proj.forward(x)))));
}

sealed class ToyTask(int inputs = 6, int hidden = 16, int classes = 3, double dropout = 0, float noise = 0) : ITrainingTask<ToyModel, ToyBatch>
{
    public Func<string, Tensor, bool>? Decay { get; init; }

    public ToyModel CreateModel(Device device) => new ToyModel(inputs, hidden, classes, dropout).to(device);

    public long CountTokens(ToyBatch batch) => batch.Labels.Length;

    /// <summary>Feature noise drawn from the trainer's per-step generator (stands in for MLM masking).</summary>
    public ToyBatch Prepare(ToyBatch batch, Random rng) => noise == 0 ? batch
        : batch with { Features = batch.Features.Select(r => r.Select(v => v + noise * (float)(rng.NextDouble() - 0.5)).ToArray()).ToArray() };

    public IReadOnlyList<ToyBatch> Split(ToyBatch batch, int parts)
    {
        var cuts = TokenBalance.Boundaries(Enumerable.Repeat(1, batch.Labels.Length).ToArray(), parts);
        return Enumerable.Range(0, parts).Select(k => batch.Slice(cuts[k], cuts[k + 1])).ToArray();
    }

    public ShardLoss Loss(ToyModel model, ToyBatch shard, Device device)
    {
        if (shard.Labels.Length == 0) return new ShardLoss(zeros(1, device: device).sum(), 0);
        var x = tensor(shard.Features.SelectMany(r => r).ToArray(), new long[] { shard.Labels.Length, inputs }, device: device);
        var logits = model.forward(x.to_type(model.parameters().First().dtype));
        var loss = Losses.CrossEntropy(logits, tensor(shard.Labels, device: device));
        return shard.Poison ? loss with { Sum = loss.Sum * float.NaN } : loss;
    }

    public double FlopsPerToken(ToyBatch batch) => 6.0 * (inputs * hidden + hidden * classes);

    public bool DecaysWeight(string name, Tensor parameter) => Decay?.Invoke(name, parameter) ?? MLNetExt.Training.Optim.WeightDecayRule.Default(name, parameter);

    /// <summary>Random, learnable data: the label is the arg-max of a fixed projection of the features.</summary>
    public static List<ToyBatch> Data(int batches, int rows, int seed, int inputs = 6, int classes = 3)
    {
        var rng = new Random(seed);
        var projection = Enumerable.Range(0, inputs * classes).Select(_ => rng.NextDouble() - 0.5).ToArray();
        return Enumerable.Range(0, batches).Select(_ =>
        {
            var features = Enumerable.Range(0, rows).Select(_ => Enumerable.Range(0, inputs).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray()).ToArray();
            var labels = features.Select(f => (long)Enumerable.Range(0, classes)
                .MaxBy(c => Enumerable.Range(0, inputs).Sum(i => f[i] * projection[i * classes + c]))).ToArray();
            return new ToyBatch(features, labels);
        }).ToList();
    }

    public static Dictionary<string, float[]> Weights(nn.Module model) =>
        model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.to_type(ScalarType.Float32).cpu().data<float>().ToArray());

    public static double MaxDifference(Dictionary<string, float[]> a, Dictionary<string, float[]> b)
    {
        CollectionAssert.AreEquivalent(a.Keys.ToArray(), b.Keys.ToArray());
        return a.Keys.Max(k => a[k].Zip(b[k]).Max(p => Math.Abs(p.First - p.Second)));
    }
}
