using MLNetExt.Blt.Modules;

namespace MLNetExt.Blt.Patching;

/// <summary>Finds the global entropy threshold that yields a target mean patch size on sample documents.</summary>
public static class ThresholdCalibration
{
    /// <summary>Mean patch size (bytes per patch) of <paramref name="patcher"/> over the documents.</summary>
    public static double MeanPatchSize(Patcher patcher, IReadOnlyList<long[]> documents, IReadOnlyList<float[]> entropies)
    {
        long bytes = 0, patches = 0;
        for (int d = 0; d < documents.Count; d++)
        {
            var starts = patcher.PatchStarts(documents[d], entropies[d]);
            bytes += documents[d].Length;
            patches += Patcher.Lengths(starts).Length;
        }
        return patches == 0 ? 0 : bytes / (double)patches;
    }

    /// <summary>
    /// Bisection on theta: the mean patch size only grows with theta (fewer bytes clear a higher bar), so the interval
    /// [min entropy - 1, max entropy + 1] halves until the size is within <paramref name="tolerance"/> of the target,
    /// or stops at the smallest theta reaching it when patch sizes jump past the target. The size is a step function
    /// that jumps at sample values, where bisection tends to stop; so theta is then moved to the middle of the gap
    /// between the compared values around it (same patches on the sample), leaving no sample byte a rounding error away
    /// from a different boundary (e.g. cached generation against a full forward of the same text).
    /// </summary>
    public static double Calibrate(IReadOnlyList<long[]> documents, IReadOnlyList<float[]> entropies, double targetMeanPatchSize,
        PatchingMode mode = PatchingMode.Entropy, int? maxPatchLength = null, double tolerance = 1e-3, int maxIterations = 100)
    {
        if (documents.Count == 0 || documents.Count != entropies.Count)
            throw new ArgumentException($"Need matching, non-empty documents ({documents.Count}) and entropies ({entropies.Count}).");
        if (mode is not (PatchingMode.Entropy or PatchingMode.MonotonicEntropy))
            throw new ArgumentException($"Only entropy modes have a threshold; got {mode}.", nameof(mode));
        var all = entropies.SelectMany(e => e).ToArray();
        double lo = all.Min() - 1, hi = all.Max() - all.Min() + all.Max() + 1;
        double Size(double theta) => MeanPatchSize(new Patcher(mode, theta, maxPatchLength: maxPatchLength), documents, entropies);
        double smallest = Size(lo), largest = Size(hi);
        if (targetMeanPatchSize < smallest || targetMeanPatchSize > largest)
            throw new ArgumentOutOfRangeException(nameof(targetMeanPatchSize), targetMeanPatchSize,
                $"Mean patch size on this sample ranges over [{smallest:F3}, {largest:F3}] bytes.");
        double theta = hi;
        for (int i = 0; i < maxIterations; i++)
        {
            double mid = (lo + hi) / 2, size = Size(mid);
            if (Math.Abs(size - targetMeanPatchSize) <= tolerance) { theta = mid; break; }
            if (size < targetMeanPatchSize) lo = mid; else hi = mid;
            theta = hi;
        }
        return MidGap(theta, mode == PatchingMode.Entropy ? all : entropies.SelectMany(e => e.Zip(e.Skip(1), (a, b) => (float)(b - a))).ToArray());
    }

    /// <summary>The middle of the gap between the largest compared value &lt;= theta and the smallest one above it.</summary>
    static double MidGap(double theta, float[] compared)
    {
        double below = compared.Where(v => v <= theta).DefaultIfEmpty(float.NaN).Max(), above = compared.Where(v => v > theta).DefaultIfEmpty(float.NaN).Min();
        if (double.IsNaN(below)) return double.IsNaN(above) ? theta : above - 1;
        return double.IsNaN(above) ? below + 1 : (below + above) / 2;
    }

    /// <summary>Entropies of each document from <paramref name="entropyModel"/>, then <see cref="Calibrate(IReadOnlyList{long[]}, IReadOnlyList{float[]}, double, PatchingMode, int?, double, int)"/>.</summary>
    public static double Calibrate(EntropyModel entropyModel, IReadOnlyList<long[]> documents, double targetMeanPatchSize,
        PatchingMode mode = PatchingMode.Entropy, int? maxPatchLength = null, double tolerance = 1e-3)
    {
        var entropies = documents.Select(d =>
        {
            using var scope = TorchSharp.torch.NewDisposeScope();
            return entropyModel.Entropies(BltBatch.ForInference([d])).cpu().data<float>().ToArray();
        }).ToList();
        return Calibrate(documents, entropies, targetMeanPatchSize, mode, maxPatchLength, tolerance);
    }
}
