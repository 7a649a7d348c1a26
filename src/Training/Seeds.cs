namespace MLNetExt.Training;

/// <summary>Deterministic seeds derived from (seed, a, b); unlike HashCode, identical across processes and runs.</summary>
internal static class Seeds
{
    public static int Mix(long seed, long a, long b)
    {
        ulong x = SplitMix((ulong)seed);
        x = SplitMix(x ^ (ulong)a);
        x = SplitMix(x ^ (ulong)b);
        return (int)(x & int.MaxValue);
    }

    static ulong SplitMix(ulong z)
    {
        z += 0x9E3779B97F4A7C15;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}
