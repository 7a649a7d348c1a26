using MLNetExt.Training;
using MLNetExt.Training.Optim;
using MLNetExt.Training.Schedules;
using static TorchSharp.torch;

namespace MLNetExt.Tests.Training;

[TestClass]
public sealed class OptimizerTests
{
    [TestMethod]
    public void DefaultRuleDecaysOnlyMatricesThatAreNotNormsOrEmbeddings()
    {
        using var matrix = zeros(4, 4);
        using var vector = zeros(4);
        Assert.IsTrue(WeightDecayRule.Default("layers.0.attn.Wqkv.weight", matrix));
        Assert.IsFalse(WeightDecayRule.Default("layers.0.attn.Wqkv.bias", vector));
        Assert.IsFalse(WeightDecayRule.Default("layers.0.mlp_norm.weight", vector));
        Assert.IsFalse(WeightDecayRule.Default("embeddings.tok_embeddings.weight", matrix));
        Assert.IsFalse(WeightDecayRule.Default("final_norm.weight", matrix));
    }

    [TestMethod]
    public void TrainerAppliesDecayPerTheTasksRule()
    {
        // Decay only the head; a huge weight decay makes its effect unmistakable after one step.
        var task = new ToyTask { Decay = (name, _) => name == "head.weight" };
        var options = new TrainerOptions
        {
            Schedule = new WarmupLinear(1e-3, 0, 1), ShowProgress = false, PeakFlops = 1e12, AdamW = new(WeightDecay: 500), MaxGradNorm = 0,
        };
        using var trainer = new Trainer<ToyModel, ToyBatch>(task, options);
        var before = ToyTask.Weights(trainer.Model);
        trainer.Fit(ToyTask.Data(1, 4, seed: 1));
        var after = ToyTask.Weights(trainer.Model);
        // Adam's first step moves each weight by about lr = 1e-3; decay scales head.weight by (1 - 1e-3*500) = 0.5 on top.
        double Ratio(string key) => after[key].Sum(Math.Abs) / before[key].Sum(Math.Abs);
        Assert.AreEqual(0.5, Ratio("head.weight"), 0.05);
        double embedMove = after["embed_proj.weight"].Zip(before["embed_proj.weight"]).Max(p => Math.Abs(p.First - p.Second));
        Assert.IsLessThanOrEqualTo(1e-3 + 1e-5, embedMove, "embed_proj.weight moved by more than one Adam step: it was decayed");
    }

    [TestMethod]
    public void GlobalNormCoversAllTensorsAndTheClipFactorCapsIt()
    {
        using var a = tensor(new float[] { 3, 0 });
        using var b = tensor(new float[] { 0, 4 });
        double norm = GradientClipping.GlobalNorm([a, b]);
        Assert.AreEqual(5.0, norm, 1e-6);
        Assert.AreEqual(0.2, GradientClipping.ClipFactor(norm, 1.0), 1e-6);
        Assert.AreEqual(1.0, GradientClipping.ClipFactor(norm, 10.0));
        Assert.AreEqual(1.0, GradientClipping.ClipFactor(norm, 0));
    }

    [TestMethod]
    public void AdamWFollowsTheReferenceFormulaAndSkipsWhenTold()
    {
        // Two flat groups (decayed, undecayed) over one buffer, three steps at changing rates and gradient scales,
        // against PyTorch's AdamW written out in double precision.
        var options = new AdamWOptions(Beta1: 0.9, Beta2: 0.98, Epsilon: 1e-6, WeightDecay: 0.1);
        manual_seed(5);
        using var weights = randn(12);
        using var grads = randn(12);
        var groups = new[]
        {
            new ParameterGroup(weights.narrow(0, 0, 8), grads.narrow(0, 0, 8), true, [new GroupMember("a", 0, [2, 4])]),
            new ParameterGroup(weights.narrow(0, 8, 4), grads.narrow(0, 8, 4), false, [new GroupMember("b", 0, [4])]),
        };
        double[] p = Values(weights), m = new double[12], v = new double[12];
        using var optimizer = new AdamW(groups, options);
        var steps = new[] { (Lr: 1e-2, Scale: 0.5), (Lr: 5e-3, Scale: 2.0), (Lr: 2e-3, Scale: 1.0) };
        for (int t = 1; t <= steps.Length; t++)
        {
            var (lr, scale) = steps[t - 1];
            double[] g = Values(grads);
            optimizer.Step(lr, scale);
            for (int i = 0; i < 12; i++)
            {
                double gi = g[i] * scale;
                if (i < 8) p[i] *= 1 - lr * options.WeightDecay;
                m[i] = options.Beta1 * m[i] + (1 - options.Beta1) * gi;
                v[i] = options.Beta2 * v[i] + (1 - options.Beta2) * gi * gi;
                double mHat = m[i] / (1 - Math.Pow(options.Beta1, t)), vHat = v[i] / (1 - Math.Pow(options.Beta2, t));
                p[i] -= lr * mHat / (Math.Sqrt(vHat) + options.Epsilon);
            }
            grads.copy_(randn(12)); // a fresh gradient for the next step
            var actual = Values(weights);
            for (int i = 0; i < 12; i++) Assert.AreEqual(p[i], actual[i], 1e-6, $"step {t}, element {i}");
        }
        Assert.AreEqual(3, optimizer.StepCount);

        // A skipped step (the trainer's non-finite case) leaves weights, moments and the step count alone, whatever the gradient.
        grads.fill_(float.NaN);
        var before = Values(weights);
        var moments = optimizer.StateDict().ToDictionary(kv => kv.Key, kv => Values(kv.Value));
        using (var scope = NewDisposeScope())
            optimizer.Step(tensor(1e-2, ScalarType.Float64), ones([], ScalarType.Float32), ones([], ScalarType.Float32));
        CollectionAssert.AreEqual(before, Values(weights));
        foreach (var (key, value) in optimizer.StateDict()) CollectionAssert.AreEqual(moments[key], Values(value), key);
        Assert.AreEqual(3, optimizer.StepCount);
    }

    static double[] Values(Tensor t) => t.to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
}
