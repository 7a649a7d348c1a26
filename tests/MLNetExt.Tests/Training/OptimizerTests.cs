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
}
