using MLNetExt.Blt;
using MLNetExt.Blt.MLNet;
using MLNetExt.Blt.Modules;

namespace MLNetExt.Tests.Blt;

/// <summary>
/// <see cref="BltConfig.ParameterCount"/> is checked against the weights before a model is built, so it must equal
/// the real module's count for every shape variant, or a valid folder would be refused.
/// </summary>
[TestClass]
public sealed class BltParameterCountTests
{
    static IEnumerable<object[]> Configs()
    {
        var tiny = TinyBlt.Config();
        yield return [tiny];
        yield return [tiny with { PatchInForward = false, PatchingMode = PatchingMode.Space }];
        yield return [tiny with { EncoderHashByteGroupNbFunctions = 2, EncoderHashByteGroupSize = [3, 5] }];
        yield return [tiny with { EncoderConfig = tiny.EncoderConfig with { CrossAttnAllLayers = true, NumKeyValueHeads = 1 }, DecoderConfig = tiny.DecoderConfig with { CrossAttnAllLayers = false } }];
        // Encoder width x k equal to the global width: the projection into the global model is an identity.
        yield return [tiny with { GlobalConfig = tiny.GlobalConfig with { HiddenSize = 64, IntermediateSize = 96 }, EncoderConfig = tiny.EncoderConfig with { HiddenSizeGlobal = 64 }, DecoderConfig = tiny.DecoderConfig with { HiddenSizeGlobal = 64 } }];
        yield return [BltPresets.Config(BltPreset.Tiny)];
    }

    [TestMethod]
    [DynamicData(nameof(Configs))]
    public void CountFromTheConfigEqualsTheBuiltModel(BltConfig config)
    {
        using var model = new BltModel(config);
        Assert.AreEqual(model.parameters().Sum(p => p.numel()), config.ParameterCount());
        using var entropy = new EntropyModel(config.PatcherConfig);
        Assert.AreEqual(entropy.parameters().Sum(p => p.numel()), config.PatcherConfig.ParameterCount());
    }
}
