using MLNetExt.ModernBert;
using MLNetExt.ModernBert.Tokenization;
using MLNetExt.ModernBert.Training;

namespace MLNetExt.Tests.ModernBert.Training;

/// <summary>The text-to-Hugging-Face-folder pipeline behind <c>mlnetext pretrain-mlm</c>, on a folder of .txt files.</summary>
[TestClass]
public sealed class MaskedLmPretrainingTests
{
    [TestMethod]
    public void RunWritesALoadableHuggingFaceFolderAndResumeKeepsTheOptions()
    {
        string root = Directory.CreateTempSubdirectory("mlnetext-pretrain-").FullName;
        try
        {
            string data = Directory.CreateDirectory(Path.Combine(root, "texts")).FullName;
            for (int i = 0; i < 6; i++)
                File.WriteAllText(Path.Combine(data, $"{i}.txt"), $"Document {i}: the whale swam past ship number {i * 7} while the crew watched.");
            var options = new MaskedLmPretrainingOptions
            {
                Data = data, OutputDirectory = Path.Combine(root, "run"), Config = "tiny", Steps = 2, BatchTokens = 64, MaxSequenceLength = 32,
                WarmupSteps = 1, Devices = ["cpu", "cpu"],
            };
            var result = MaskedLmPretraining.Run(options);

            Assert.AreEqual(2, result.Training.FinalStep);
            Assert.IsTrue(result.TokensPerSecond > 0);
            using var model = ModernBertCheckpoint.Load(result.FinalDirectory, c => new ModernBertForMaskedLM(c));
            var tokenizer = ModernBertTokenizer.Load(Path.Combine(result.FinalDirectory, "tokenizer.json"));
            Assert.AreEqual(ModernBertTokenizer.CreateDefault().MaskId, tokenizer.MaskId);
            Assert.AreEqual(50304, model.Config.VocabSize, "GPT-2's 50,262 ids rounded up to a multiple of 64");
            Assert.AreEqual(tokenizer.PadId, model.Config.PadTokenId);

            Assert.AreEqual(options, MaskedLmPretraining.ReadOptions(options.OutputDirectory) with { Devices = options.Devices });
            Assert.AreEqual(2, MaskedLmPretraining.Resume(options.OutputDirectory, ["cpu"]).Training.FinalStep, "a finished run has nothing left to train");
            var e = Assert.ThrowsExactly<InvalidOperationException>(() => MaskedLmPretraining.Run(options with { Steps = 3 }));
            StringAssert.Contains(e.Message, "other options");
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [TestMethod]
    public void RunPrintsNothingUnaskedAndCheckpointEveryZeroSavesNoCheckpoint()
    {
        string root = Directory.CreateTempSubdirectory("mlnetext-pretrain-").FullName;
        var console = new StringWriter();
        var stdout = Console.Out;
        try
        {
            string data = Directory.CreateDirectory(Path.Combine(root, "texts")).FullName;
            for (int i = 0; i < 4; i++) File.WriteAllText(Path.Combine(data, $"{i}.txt"), $"Document {i}: a short text about ship {i}.");
            var options = new MaskedLmPretrainingOptions
            {
                Data = data, OutputDirectory = Path.Combine(root, "run"), Config = "tiny", Steps = 2, BatchTokens = 64, MaxSequenceLength = 32,
                WarmupSteps = 1, CheckpointEvery = 0,
            };
            Console.SetOut(console);
            var result = MaskedLmPretraining.Run(options);
            Console.SetOut(stdout);
            Assert.AreEqual("", console.ToString());
            Assert.IsNull(result.Training.LastCheckpoint);
            Assert.IsFalse(Directory.Exists(Path.Combine(options.OutputDirectory, "checkpoints")), "no checkpoint asked for, none written");
            Assert.IsTrue(File.Exists(Path.Combine(result.FinalDirectory, "model.safetensors")));
        }
        finally
        {
            Console.SetOut(stdout);
            Directory.Delete(root, true);
        }
    }

    [TestMethod]
    public void UnknownDataOrConfigIsNamed()
    {
        var missing = Assert.ThrowsExactly<FileNotFoundException>(() => MaskedLmPretraining.LoadTexts("/no/such/corpus"));
        StringAssert.Contains(missing.Message, "/no/such/corpus");
        var config = Assert.ThrowsExactly<FileNotFoundException>(() => PretrainingConfigs.Resolve("huge", ModernBertTokenizer.CreateDefault()));
        StringAssert.Contains(config.Message, "huge");
    }
}
