using MLNetExt.Blt;
using MLNetExt.Blt.Modules;
using MLNetExt.Blt.Training;
using MLNetExt.Training;
using MLNetExt.Training.Schedules;

namespace MLNetExt.Tests.Blt.Training;

/// <summary>A small, learnable English-like text and trainer settings for BLT training tests.</summary>
static class TinyCorpus
{
    static readonly string[] Words = ["the", "whale", "sea", "ship", "captain", "white", "and", "of", "a", "to", "harpoon", "deck"];

    /// <summary>Sentences drawn from a 12-word vocabulary: far below 8 bits per byte once learned.</summary>
    public static List<string> Texts(int count, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count)
            .Select(_ => string.Join(" ", Enumerable.Range(0, rng.Next(6, 14)).Select(_ => Words[rng.Next(Words.Length)])) + ".")
            .ToList();
    }

    public static TrainerOptions Options(int steps, double lr = 1e-2, string? dir = null, params string[] devices) => new()
    {
        Schedule = new WarmupCosine(lr, 2, steps),
        Devices = devices.Length == 0 ? ["cpu"] : devices,
        ShowProgress = false,
        PeakFlops = 1e12,
        OutputDirectory = dir,
        Seed = 3,
    };

    /// <summary>The tiny BLT config with the threshold chosen on sample text, and its (untrained, sharpened) entropy model.</summary>
    public static (BltConfig Config, EntropyModel EntropyModel) Blt()
    {
        var model = TinyBlt.Model();
        return (model.Config, model.EntropyModel!);
    }

    public static string TempDir() => Directory.CreateTempSubdirectory("blt-training-").FullName;
}
