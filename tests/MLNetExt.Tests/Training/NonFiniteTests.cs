using MLNetExt.Training;
using MLNetExt.Training.Optim;
using MLNetExt.Training.Schedules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetExt.Tests.Training;

/// <summary>Bad settings and runaway weights end a Fit with an error; no model with NaN or infinite weights leaves it.</summary>
[TestClass]
public sealed class NonFiniteTests
{
    /// <summary>Loss tanh(w): finite for every w, even ±inf, so only the weights can show that the run diverged.</summary>
    sealed class Saturating : nn.Module
    {
        readonly Parameter w = nn.Parameter(zeros(4));

        public Saturating() : base(nameof(Saturating)) => RegisterComponents();

        public Tensor Loss() => w.tanh().sum();
    }

    sealed class SaturatingTask : ITrainingTask<Saturating, int>
    {
        public Saturating CreateModel(Device device) => new Saturating().to(device);
        public long CountTokens(int batch) => 1;
        public IReadOnlyList<int> Split(int batch, int parts) => Enumerable.Repeat(batch, parts).ToArray();
        public ShardLoss Loss(Saturating model, int shard, Device device) => new(model.Loss(), 1);
        public double FlopsPerToken(int batch) => 1;
    }

    // A flat rate: each step moves w by about the rate, which fits a float, until w itself overflows.
    static TrainerOptions Options(double peakLr) => new()
    {
        Schedule = new WarmupStableDecay(peakLr, 0, 10, DecaySteps: 1), AdamW = new AdamWOptions(WeightDecay: 0), ShowProgress = false, PeakFlops = 1e12,
    };

    [TestMethod]
    public void AFitWhoseWeightsOverflowThrowsInsteadOfReturningThem()
    {
        using var trainer = new Trainer<Saturating, int>(new SaturatingTask(), Options(1e38));
        var error = Assert.ThrowsExactly<InvalidOperationException>(() => trainer.Fit([0]));
        StringAssert.Contains(error.Message, "non-finite weights (e.g. in 'w' at step 10)");
    }

    [TestMethod]
    [DataRow(double.NaN)]
    [DataRow(double.PositiveInfinity)]
    [DataRow(-1.0)]
    public void ABadLearningRateIsRefusedBeforeTraining(double lr) =>
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new Trainer<Saturating, int>(new SaturatingTask(), Options(lr))).Message,
            "Schedule.PeakLr");

    [TestMethod]
    public void ABadWeightDecayIsRefusedBeforeTraining() =>
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new Trainer<Saturating, int>(new SaturatingTask(),
            Options(1e-3) with { AdamW = new AdamWOptions(WeightDecay: double.NaN) })).Message, "AdamW.WeightDecay is NaN");
}
