namespace MLNetExt.Blt;

/// <summary>
/// BLT's hash n-gram ids. The n-gram ending at byte t is hashed with a polynomial over the window, oldest id first:
/// h = x[t-n+1]·p^0 + x[t-n+1]·p^1 + … + x[t]·p^(n-1), in int64 arithmetic that wraps around (as torch does),
/// then bucketed with a non-negative modulo into the table of <c>vocab</c> rows. Positions before the start of the
/// document count as id 0, so n-grams never reach into the previous document of a packed row.
/// Function f (of <c>encoder_hash_byte_group_nb_functions</c>) uses prime <see cref="Primes"/>[f]; the g-th (function, n)
/// pair indexes rows [g·vocab, (g+1)·vocab) of the fused <c>encoder_hash_tok_embedding</c>.
/// </summary>
public static class HashNgrams
{
    /// <summary>The reference's primes, one per hash function (cycled when there are more functions).</summary>
    public static readonly long[] Primes =
        [1000000007, 5915587277, 1500450271, 3267000013, 5754853343, 4093082899, 9576890767, 3628273133, 2860486313, 5463458053, 3367900313];

    /// <summary>Polynomial hash of one window, wrapping in int64.</summary>
    public static long Hash(ReadOnlySpan<long> window, long prime)
    {
        long hash = 0, power = 1;
        foreach (long id in window)
        {
            hash = unchecked(hash + (id * power));
            power = unchecked(power * prime);
        }
        return hash;
    }

    /// <summary>Python-style modulo: always in [0, vocab).</summary>
    public static long Bucket(long hash, long vocab) => ((hash % vocab) + vocab) % vocab;

    /// <summary>Number of hash ids per byte: functions × n-gram sizes.</summary>
    public static int Count(BltConfig config) => config.EncoderHashByteGroupNbFunctions * config.EncoderHashByteGroupSize.Count;

    /// <summary>Writes the <see cref="Count"/> offset hash ids of byte <paramref name="t"/> of <paramref name="doc"/> into <paramref name="into"/>.</summary>
    public static void At(ReadOnlySpan<long> doc, int t, BltConfig config, Span<long> into)
    {
        int maxN = config.EncoderHashByteGroupSize.Max();
        Span<long> window = stackalloc long[maxN];
        int g = 0;
        for (int f = 0; f < config.EncoderHashByteGroupNbFunctions; f++)
        {
            long prime = Primes[f % Primes.Length];
            foreach (int n in config.EncoderHashByteGroupSize)
            {
                for (int k = 0; k < n; k++)
                {
                    int src = t - n + 1 + k;
                    window[k] = src >= 0 ? doc[src] : 0;
                }
                into[g] = Bucket(Hash(window[..n], prime), config.EncoderHashByteGroupVocab) + ((long)g * config.EncoderHashByteGroupVocab);
                g++;
            }
        }
    }
}
