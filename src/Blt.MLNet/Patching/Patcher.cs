namespace MLNetExt.Blt.Patching;

/// <summary>
/// Decides, byte by byte, where patches start. Every rule is causal: whether byte t starts a patch depends only on
/// bytes and entropies before t, so changing later bytes never moves earlier boundaries and generation can patch
/// incrementally. Byte 0 (document start / BOS) and byte 1 always start a patch, so BOS is a patch of its own.
/// With <see cref="MaxPatchLength"/>, a patch that reached that length is closed regardless of the rule.
/// Entropies are H(x_(t+1) | x_&lt;=t) in nats, i.e. entropies[t] is the entropy of the prediction made at t.
/// </summary>
public sealed class Patcher
{
    delegate bool Rule(int t, ReadOnlySpan<long> ids, ReadOnlySpan<float> entropies, in PatchState state);

    readonly Rule rule;

    public PatchingMode Mode { get; }
    public double Threshold { get; }
    public int PatchSize { get; }
    public int? MaxPatchLength { get; }
    public bool NeedsEntropies => Mode is PatchingMode.Entropy or PatchingMode.MonotonicEntropy;

    public Patcher(PatchingMode mode, double threshold = 0, int patchSize = 4, int? maxPatchLength = null)
    {
        if (patchSize < 1) throw new ArgumentOutOfRangeException(nameof(patchSize), patchSize, "Patch size must be >= 1.");
        if (maxPatchLength is < 1) throw new ArgumentOutOfRangeException(nameof(maxPatchLength), maxPatchLength, "Max patch length must be >= 1.");
        (Mode, Threshold, PatchSize, MaxPatchLength) = (mode, threshold, patchSize, maxPatchLength);
        rule = mode switch
        {
            PatchingMode.Entropy => (int t, ReadOnlySpan<long> _, ReadOnlySpan<float> h, in PatchState _) => h[t - 1] > threshold,
            PatchingMode.MonotonicEntropy => (int t, ReadOnlySpan<long> _, ReadOnlySpan<float> h, in PatchState _) => h[t - 1] - h[t - 2] > threshold,
            PatchingMode.Space => (int t, ReadOnlySpan<long> ids, ReadOnlySpan<float> _, in PatchState s) => IsSpaceLike(ids[t - 1]) && s.HasNonSpace,
            PatchingMode.Static => (int t, ReadOnlySpan<long> _, ReadOnlySpan<float> _, in PatchState _) => (t - 1) % patchSize == 0,
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown patching mode."),
        };
    }

    public static Patcher FromConfig(BltConfig config) =>
        new(config.PatchingMode, config.PatchingThreshold, config.PatchSize, config.MaxPatchLength);

    /// <summary>Whether byte <paramref name="t"/> starts a patch, given the ids/entropies of bytes &lt; t and the open patch.</summary>
    public bool StartsPatch(int t, ReadOnlySpan<long> ids, ReadOnlySpan<float> entropies, in PatchState state)
    {
        if (t <= 1) return true;
        if (MaxPatchLength is int max && state.Length >= max) return true;
        return rule(t, ids, entropies, state);
    }

    /// <summary>
    /// Start flags for bytes 0..n of one document of n bytes: n + 1 flags, the last saying whether the byte that
    /// would follow the document starts a new patch (the decoder needs it for the last position).
    /// </summary>
    public bool[] PatchStarts(ReadOnlySpan<long> ids, ReadOnlySpan<float> entropies)
    {
        if (NeedsEntropies && entropies.Length < ids.Length)
            throw new ArgumentException($"{Mode} patching needs one entropy per byte: got {entropies.Length} for {ids.Length} bytes.", nameof(entropies));
        var starts = new bool[ids.Length + 1];
        var state = new PatchState();
        for (int t = 0; t <= ids.Length; t++)
        {
            starts[t] = StartsPatch(t, ids, entropies, state);
            if (t < ids.Length) state = state.Add(ids[t], starts[t]);
        }
        return starts;
    }

    /// <summary>Patch lengths from start flags (the trailing flag ignored).</summary>
    public static int[] Lengths(ReadOnlySpan<bool> starts)
    {
        var lengths = new List<int>();
        for (int t = 0; t < starts.Length - 1; t++)
        {
            if (starts[t] || lengths.Count == 0) lengths.Add(0);
            lengths[^1]++;
        }
        return lengths.ToArray();
    }

    /// <summary>
    /// Space-like as in the BLT paper: any byte that is not an ASCII letter or digit and not a UTF-8 continuation
    /// byte; special ids count as space-like.
    /// </summary>
    public static bool IsSpaceLike(long id)
    {
        if (id < ByteTokenizer.Offset) return true;
        long b = id - ByteTokenizer.Offset;
        bool continuation = b is >= 0x80 and <= 0xBF;
        return !continuation && !(b < 0x80 && char.IsAsciiLetterOrDigit((char)b));
    }
}

/// <summary>The open patch while scanning: its length and whether it holds a non-space-like byte.</summary>
public readonly record struct PatchState(int Length, bool HasNonSpace)
{
    /// <summary>State after appending byte <paramref name="id"/>, which starts a new patch when <paramref name="starts"/>.</summary>
    public PatchState Add(long id, bool starts) =>
        starts ? new(1, !Patcher.IsSpaceLike(id)) : new(Length + 1, HasNonSpace || !Patcher.IsSpaceLike(id));
}
