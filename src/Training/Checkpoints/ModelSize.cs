using System.Globalization;

namespace MLNetExt.Training.Checkpoints;

/// <summary>
/// How big a model read from an untrusted config may be. Each size key has a sanity bound (far above any published
/// model, far below what overflows or exhausts memory), and before a module is built the parameter count the config
/// implies is checked against the weights file's header and against this process's memory, so a corrupt config fails
/// in milliseconds, naming the numbers, instead of allocating until the machine gives out.
/// </summary>
internal static class ModelSize
{
    public const int MaxLayers = 1024;
    public const int MaxHiddenSize = 1 << 16;
    public const int MaxIntermediateSize = 1 << 18;
    public const int MaxVocabSize = 1 << 24;
    public const int MaxPositions = 1 << 20;

    // Modules are built in float32; any later bf16 conversion comes after the allocation.
    const long BytesPerParameter = 4;

    /// <summary>
    /// Throws <see cref="InvalidDataException"/> when <paramref name="configParameters"/> (the parameters the config at
    /// <paramref name="config"/> implies, at least what any matching checkpoint holds) would not fit in memory, or exceed
    /// the values <paramref name="weights"/> holds.
    /// </summary>
    public static void Check(long configParameters, string config, SafetensorsHeader? weights)
    {
        long memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (memory > 0 && configParameters > memory / BytesPerParameter)
            throw new InvalidDataException($"{config} describes a model of {N(configParameters)} parameters ({GiB(configParameters * (double)BytesPerParameter)} in float32), " +
                $"more than this process's {GiB(memory)} of memory; refusing to build it. Is the config corrupt?");
        if (weights is not null && configParameters > weights.TotalElements)
            throw new InvalidDataException($"{config} describes a model of {N(configParameters)} parameters but {weights.Source} holds only " +
                $"{N(weights.TotalElements)} values in {weights.Tensors.Count} tensors: the config and the weights do not belong together.");
    }

    static string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    static string GiB(double bytes) => (bytes / (1L << 30)).ToString("0.#", CultureInfo.InvariantCulture) + " GiB";
}
