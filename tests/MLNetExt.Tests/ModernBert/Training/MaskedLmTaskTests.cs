using MLNetExt.ModernBert;
using MLNetExt.ModernBert.Training;
using MLNetExt.Training;
using MLNetExt.Training.Objectives;
using MLNetExt.Training.Packing;
using MLNetExt.Training.Schedules;
using MLNetExt.Training.Telemetry;
using static TorchSharp.torch;

namespace MLNetExt.Tests.ModernBert.Training;

/// <summary>ModernBERT MLM through the generic trainer: it learns, data parallelism is exact, resume replays.</summary>
[TestClass]
public sealed class MaskedLmTaskTests
{
    // Tiny config: pad 0, [CLS] 1, [SEP] 2; 3 is [MASK].
    static readonly ModernBertConfig Config = ModernBertConfig.Tiny;
    static readonly MlmMaskingOptions Masking = new(MaskTokenId: 3, VocabSize: Config.VocabSize, SpecialTokenIds: [0, 1, 2, 3]);

    /// <summary>Sequences repeating one id from 4..63: every masked token can be copied from its neighbours.</summary>
    static IReadOnlyList<MaskedBatch> Corpus(int batches, int sequencesPerBatch, int seed)
    {
        var rng = new Random(seed);
        return ModernBertMaskedLmTask.Unmasked(Enumerable.Range(0, batches).Select(_ => PackedBatch.FromSequences(
            Enumerable.Range(0, sequencesPerBatch).Select(_ =>
            {
                long id = rng.Next(4, 64);
                return new long[] { 1 }.Concat(Enumerable.Repeat(id, rng.Next(12, 25))).Append(2L).ToArray();
            }).ToList())));
    }

    static TrainerOptions Options(int replicas, int steps, double lr = 3e-3) => new()
    {
        Schedule = new WarmupStableDecay(lr, 2, steps, DecaySteps: steps / 5),
        Devices = Enumerable.Repeat("cpu", replicas).ToArray(),
        ShowProgress = false,
        PeakFlops = 1e12,
        Seed = 7,
    };

    static Dictionary<string, float[]> Weights(ModernBertForMaskedLM model) =>
        model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.to(float32).data<float>().ToArray());

    static double MaxDifference(Dictionary<string, float[]> a, Dictionary<string, float[]> b) =>
        a.Max(kv => kv.Value.Zip(b[kv.Key], (x, y) => Math.Abs((double)x - y)).DefaultIfEmpty(0).Max());

    [TestMethod]
    public void TinyModelOverfitsASmallCorpus()
    {
        var data = Corpus(4, 8, seed: 1);
        using var trainer = new Trainer<ModernBertForMaskedLM, MaskedBatch>(new ModernBertMaskedLmTask(Config, Masking), Options(1, 50, lr: 2e-2));
        var losses = trainer.Fit(data).Losses.Select(l => l.Loss).ToArray();
        double first = losses.Take(4).Average(), last = losses.TakeLast(8).Average();
        Assert.IsGreaterThan(3.5, first, "starts near ln(60)");
        Assert.IsLessThan(first / 2, last, $"MLM loss fell from {first:F3} to {last:F3} only");
    }

    [TestMethod]
    public void BFloat16TrainingTracksFloat32()
    {
        var data = Corpus(2, 8, seed: 5);
        double[] Train(TrainingPrecision precision)
        {
            using var trainer = new Trainer<ModernBertForMaskedLM, MaskedBatch>(new ModernBertMaskedLmTask(Config, Masking), Options(1, 12, lr: 2e-2) with { Precision = precision });
            var losses = trainer.Fit(data).Losses.Select(l => l.Loss).ToArray();
            Assert.AreEqual(float32, trainer.Model.parameters().First().dtype, "fp32 master weights");
            return losses;
        }
        var fp32 = Train(TrainingPrecision.Float32);
        var bf16 = Train(TrainingPrecision.BFloat16);
        Assert.AreEqual(12, bf16.Length, "no bf16 step was skipped");
        // Rounding differences compound, so only the first steps are compared closely.
        for (int i = 0; i < 4; i++) Assert.AreEqual(fp32[i], bf16[i], 0.05, $"step {i + 1}");
        Assert.IsLessThan(bf16.Take(2).Average() - 0.3, bf16.TakeLast(2).Average(), "bf16 training lowers the loss");
    }

    [TestMethod]
    public void TwoCpuReplicasMatchOneReplica()
    {
        var data = Corpus(3, 5, seed: 2); // 5 sequences: uneven shards
        Dictionary<string, float[]> Train(int replicas, out double[] losses)
        {
            using var trainer = new Trainer<ModernBertForMaskedLM, MaskedBatch>(new ModernBertMaskedLmTask(Config, Masking), Options(replicas, 4, lr: 1e-2));
            losses = trainer.Fit(data).Losses.Select(l => l.Loss).ToArray();
            return Weights(trainer.Model);
        }
        var one = Train(1, out var oneLosses);
        var two = Train(2, out var twoLosses);
        // Shards sum the gradient in another order; Adam divides by sqrt(v), which turns that rounding into weight
        // differences of ~1e-5 after four steps at lr 1e-2 (a sharding bug moves weights by ~lr).
        Assert.IsLessThanOrEqualTo(1e-4, MaxDifference(one, two));
        for (int i = 0; i < oneLosses.Length; i++) Assert.AreEqual(oneLosses[i], twoLosses[i], 1e-5);
        using var fresh = new ModernBertMaskedLmTask(Config, Masking).CreateModel(CPU);
        Assert.IsGreaterThan(1e-3, MaxDifference(one, Weights(fresh)), "training moved the weights");
    }

    [TestMethod]
    public void ResumedRunReplaysTheStraightRun()
    {
        var data = Corpus(3, 4, seed: 3);
        string straightDir = Directory.CreateTempSubdirectory("mlnetext-mlm-").FullName, resumedDir = Directory.CreateTempSubdirectory("mlnetext-mlm-").FullName;
        try
        {
            TrainerOptions Options(string dir) => MaskedLmTaskTests.Options(1, 6) with { OutputDirectory = dir };
            Trainer<ModernBertForMaskedLM, MaskedBatch> Trainer(string dir) => new(new ModernBertMaskedLmTask(Config, Masking), Options(dir));
            double[] straight;
            Dictionary<string, float[]> straightWeights;
            using (var trainer = Trainer(straightDir))
            {
                straight = trainer.Fit(data).Losses.Select(l => l.Loss).ToArray();
                straightWeights = Weights(trainer.Model);
            }
            var firstHalf = new List<double>();
            using (var cts = new CancellationTokenSource())
            using (var trainer = Trainer(resumedDir))
            {
                var stopAt3 = new StopAt(3, cts, firstHalf);
                Assert.ThrowsExactly<OperationCanceledException>(() => trainer.Fit(data, progress: stopAt3, cancellationToken: cts.Token));
            }
            using (var trainer = Trainer(resumedDir))
            {
                var secondHalf = trainer.Fit(data).Losses.Select(l => l.Loss);
                CollectionAssert.AreEqual(straight, firstHalf.Concat(secondHalf).ToArray());
                Assert.AreEqual(0.0, MaxDifference(straightWeights, Weights(trainer.Model)));
            }
        }
        finally
        {
            Directory.Delete(straightDir, true);
            Directory.Delete(resumedDir, true);
        }
    }

    /// <summary>Records losses and cancels synchronously once a step is reported.</summary>
    sealed class StopAt(long step, CancellationTokenSource cts, List<double> losses) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            losses.Add(value.Loss);
            if (value.Step == step) cts.Cancel();
        }
    }

    [TestMethod]
    public void FlopsCountTheHeadOnlyAtMaskedTokens()
    {
        var task = new ModernBertMaskedLmTask(Config, Masking);
        var batch = Corpus(1, 4, seed: 4)[0];
        var masked = task.Prepare(batch, new Random(0));
        double d = Config.HiddenSize, headPerRow = 6 * (d * d + d * Config.VocabSize);
        double expected = headPerRow * masked.LabelPositions.Length / batch.Batch.TokenCount;
        Assert.IsGreaterThan(0, masked.LabelPositions.Length);
        Assert.AreEqual(expected, task.FlopsPerToken(masked) - task.FlopsPerToken(batch), 1e-6);
        Assert.IsGreaterThan(6.0 * Config.NonEmbeddingParameterCount(), task.FlopsPerToken(batch), "attention adds to 6N");
    }

    [TestMethod]
    public void MaskIdOutsideTheModelVocabularyIsRejected()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new ModernBertMaskedLmTask(Config, Masking with { MaskTokenId = 64 }));
        StringAssert.Contains(e.Message, "64");
    }
}
