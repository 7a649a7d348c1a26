using MLNetExt.ModernBert;
using MLNetExt.Training.Packing;
using static TorchSharp.torch;

namespace MLNetExt.Tests.ModernBert;

/// <summary>Tiny configs, deterministic random inputs and temporary folders for the ModernBERT tests.</summary>
static class TinyModels
{
    public static readonly ModernBertConfig Config = ModernBertConfig.Tiny;

    public static long[] RandomTokens(int length, int seed, int vocab = 64)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => (long)rng.Next(3, vocab)).ToArray();
    }

    public static PackedInput Pack(ModernBertConfig config, params long[][] sequences) =>
        PackedInput.Create(PackedBatch.FromSequences(sequences), config);

    public static float MaxAbsDiff(Tensor a, Tensor b) => (a.to(float32) - b.to(float32)).abs().max().item<float>();

    static readonly List<string> tempDirs = [];

    /// <summary>A fresh temporary folder, removed by <see cref="DeleteTempDirs"/>.</summary>
    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "mlnetext-modernbert-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        tempDirs.Add(dir);
        return dir;
    }

    public static void DeleteTempDirs()
    {
        foreach (var dir in tempDirs) if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        tempDirs.Clear();
    }
}
