using MLNetExt.Training.Schedules;

namespace MLNetExt.Tests.Training;

[TestClass]
public sealed class ScheduleTests
{
    [TestMethod]
    public void WarmupThenLinearCosineAndStableDecay()
    {
        var linear = new WarmupLinear(1.0, 4, 14);
        CollectionAssert.AreEqual(new[] { 0.25, 0.5, 0.75, 1.0 }, Enumerable.Range(0, 4).Select(s => linear.At(s)).ToArray());
        Assert.AreEqual(0.5, linear.At(9), 1e-12);
        Assert.AreEqual(0.0, linear.At(14), 1e-12);

        var cosine = new WarmupCosine(2.0, 0, 10, MinLrRatio: 0.1);
        Assert.AreEqual(2.0, cosine.At(0), 1e-12);
        Assert.AreEqual(0.2 + 1.8 * 0.5, cosine.At(5), 1e-12);
        Assert.AreEqual(0.2, cosine.At(10), 1e-12);

        var wsd = new WarmupStableDecay(1.0, 2, 20, DecaySteps: 5);
        Assert.AreEqual(0.5, wsd.At(0), 1e-12);
        Assert.AreEqual(1.0, wsd.At(2), 1e-12);
        Assert.AreEqual(1.0, wsd.At(15), 1e-12);
        Assert.AreEqual(0.6, wsd.At(17), 1e-12);
        Assert.AreEqual(0.0, wsd.At(20), 1e-12);
    }
}
