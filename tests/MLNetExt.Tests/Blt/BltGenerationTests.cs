using MLNetExt.Blt;

namespace MLNetExt.Tests.Blt;

[TestClass]
public sealed class BltGenerationTests
{
    static readonly long[] Prompt = ByteTokenizer.Encode("Once upon a time, ");

    [TestMethod]
    public void GreedyWithCacheEqualsWithout()
    {
        using var model = TinyBlt.Model(TinyBlt.Config(maxPatchLength: 5));
        var options = new GenerationOptions(MaxNewBytes: 30, StopAtEos: false);
        var cached = model.Generate(Prompt, options);
        var uncached = model.Generate(Prompt, options with { UseCache = false });
        CollectionAssert.AreEqual(uncached, cached);
        Assert.HasCount(Prompt.Length + 30, cached);
    }

    [TestMethod]
    public void SampledWithCacheEqualsWithoutAndDependsOnTheSeed()
    {
        var config = TinyBlt.Config() with { EncoderConfig = TinyBlt.Config().EncoderConfig with { SlidingWindow = 6 }, DecoderConfig = TinyBlt.Config().DecoderConfig with { SlidingWindow = 5 } };
        using var model = TinyBlt.Model(config);
        var options = new GenerationOptions(MaxNewBytes: 30, Temperature: 1.0, TopK: 50, Seed: 11, StopAtEos: false);
        var cached = model.Generate(Prompt, options);
        CollectionAssert.AreEqual(model.Generate(Prompt, options with { UseCache = false }), cached);
        CollectionAssert.AreNotEqual(model.Generate(Prompt, options with { Seed = 12 }), cached);
    }

    [TestMethod]
    public void StaticPatchingGenerationMatchesToo()
    {
        using var model = TinyBlt.Model(TinyBlt.Config(PatchingMode.Static));
        var options = new GenerationOptions(MaxNewBytes: 12, StopAtEos: false);
        CollectionAssert.AreEqual(model.Generate(Prompt, options with { UseCache = false }), model.Generate(Prompt, options));
    }

    [TestMethod]
    public void IncrementalLogitsMatchTheFullForwardAndTheLatentModelRunsOncePerPatch()
    {
        using var model = TinyBlt.Model();
        long[] doc = TinyBlt.RandomDocument(new Random(4), 50);
        var (logits, latentRuns) = model.ScoreIncrementally(doc);
        var batch = BltBatch.ForInference([doc]);
        using var _ = TorchSharp.torch.no_grad();
        using var full = model.forward(batch);
        for (int t = 0; t < doc.Length; t++)
        {
            var expected = full[0, t].data<float>().ToArray();
            for (int v = 0; v < expected.Length; v++) Assert.AreEqual(expected[v], logits[t][v], 1e-4, $"position {t}, id {v}");
        }
        // Every patch of the sequence closed, plus the last one if the next byte would open a new patch.
        var layout = model.Patch(batch);
        int closedAtEnd = (int)layout.DecoderPatchIds[^1] + 1;
        Assert.AreEqual(closedAtEnd, latentRuns);
        Assert.IsGreaterThan(5, layout.PatchCounts[0], "entropy patching should cut several patches");
        Assert.IsLessThan(doc.Length * 2 / 3, layout.PatchCounts[0], "and not one per byte");
    }
}
