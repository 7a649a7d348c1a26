using MLNetExt.Training.Checkpoints;
using static TorchSharp.torch;

namespace MLNetExt.Tests.Training;

/// <summary>A training checkpoint read back for a resume goes through the same checks as any model file.</summary>
[TestClass]
public sealed class CheckpointStoreTests
{
    const string Tensor = "embed_proj.weight";   // [16, 6]

    static string SavedCheckpoint(string dir, ToyModel model)
    {
        var state = new TrainerState(Step: 3, OptimizerSteps: 3, MicroBatchesConsumed: 3, Seed: 1, BestEvalLoss: double.PositiveInfinity,
            BestEvalStep: 0, EvalsWithoutImprovement: 0, NonFiniteStreak: 0, Schedule: "none");
        var optimizer = model.named_parameters().ToDictionary(p => "exp_avg." + p.name, p => zeros_like(p.parameter));
        return new CheckpointStore(dir, keepLast: 1).Save(model, optimizer, state);
    }

    [TestMethod]
    public void RoundTripRestoresTheWeightsAndOptimizerState()
    {
        using var dir = new MLNet.PersistenceTests.TempDir();
        manual_seed(1);
        using var model = new ToyModel(6, 16, 3, 0);
        string checkpoint = SavedCheckpoint(dir.Root, model);
        using var back = new ToyModel(6, 16, 3, 0);
        var (optimizer, state) = CheckpointStore.Load(checkpoint, back);
        Assert.AreEqual(3, state.Step);
        Assert.IsTrue(model.state_dict()[Tensor].eq(back.state_dict()[Tensor]).all().item<bool>());
        CollectionAssert.AreEqual(new long[] { 16, 6 }, optimizer["exp_avg." + Tensor].shape);
        foreach (var t in optimizer.Values) t.Dispose();
    }

    [TestMethod]
    [DataRow(Tampering.Truncated)]
    [DataRow(Tampering.ShiftedOffsets)]
    [DataRow(Tampering.IntegerDtype)]
    [DataRow(Tampering.Transposed)]
    public void DamagedModelFile_ErrorNamesFileAndTensor(string damage)
    {
        using var dir = new MLNet.PersistenceTests.TempDir();
        using var model = new ToyModel(6, 16, 3, 0);
        string checkpoint = SavedCheckpoint(dir.Root, model), weights = Path.Combine(checkpoint, CheckpointStore.ModelFile);
        File.WriteAllBytes(weights, Tampering.Damage(File.ReadAllBytes(weights), damage, Tensor));
        var e = Assert.ThrowsExactly<InvalidDataException>(() => CheckpointStore.Load(checkpoint, model));
        StringAssert.Contains(e.Message, weights);
        StringAssert.Contains(e.Message, damage == Tampering.Truncated ? "truncated" : Tensor);
    }
}
