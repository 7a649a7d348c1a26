using MLNetExt.Training;
using MLNetExt.Training.Transfer;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.ModernBert;

/// <summary>
/// How one kind of attention (global or local) runs over a packed batch of T tokens, built once per batch and
/// shared by every layer of that kind. Tokens are gathered into a few dense rectangles ("groups") that
/// scaled-dot-product attention can run on, then scattered back to packed order; a sequence never sees another.
/// Padding slots of a rectangle gather their own sequence's first token: they are masked as keys and dropped as
/// queries, so their content never matters, and q, k, v need no extra pad row (a full copy per layer).
/// The host only decides the groups and writes a few numbers per row (<see cref="Layout"/>); the gather indices and
/// masks are computed on the device from those, so planning costs O(rows) host work and nothing per key.
/// </summary>
public sealed partial class AttentionPlan : IDisposable
{
    /// <summary>
    /// One SDPA call: <c>Count</c> rows of <c>QueryLength</c> queries over <c>KeyLength</c> keys. A null index means
    /// "all T packed tokens in order" (e.g. equal-length sequences): the rectangle is then a view, not a copy.
    /// </summary>
    sealed record Group(Tensor? QueryIndex, Tensor? KeyIndex, Tensor? Mask, long Count, long QueryLength, long KeyLength);

    /// <summary>The varlen flash kernel's inputs: cu_seqlens [B + 1] int32, the longest sequence, the half window (-1: none).</summary>
    internal sealed record Flash(Tensor CuSeqlens, int MaxLength, int HalfWindow);

    readonly List<Group> groups;
    readonly Tensor? outputIndex; // [T]: where each packed token's output sits in the concatenated group outputs; null = same order
    readonly Flash? flash;

    AttentionPlan(List<Group> groups, Tensor? outputIndex, Flash? flash)
    {
        this.groups = groups;
        this.outputIndex = outputIndex;
        this.flash = flash;
    }

    /// <summary>Number of SDPA calls per layer (for tests and benchmarks).</summary>
    public int GroupCount => groups.Count;

    /// <summary>Attention per sequence. q, k, v: [T, heads, headDim] (rotary already applied). Returns [T, heads, headDim].</summary>
    public Tensor Attend(Tensor q, Tensor k, Tensor v, double dropout)
    {
        // The flash kernel covers half precision without dropout; anything else takes the gathered groups.
        if (flash is not null && dropout == 0 && q.dtype is ScalarType.BFloat16 or ScalarType.Float16)
            return VarlenFlashAttention.Attend(q, k, v, flash.CuSeqlens, flash.MaxLength, flash.HalfWindow);
        var outputs = new List<Tensor>(groups.Count);
        foreach (var g in groups)
        {
            var qg = Rect(q, g.QueryIndex, g.Count, g.QueryLength); // [n, nh, Lq, hd]
            var kg = Rect(k, g.KeyIndex, g.Count, g.KeyLength);     // [n, nh, Lk, hd]
            var vg = Rect(v, g.KeyIndex, g.Count, g.KeyLength);
            var o = nn.functional.scaled_dot_product_attention(qg, kg, vg, g.Mask, dropout);
            outputs.Add(o.transpose(1, 2).reshape(g.Count * g.QueryLength, q.shape[1], q.shape[2])); // [n * Lq, nh, hd]
        }
        var all = outputs.Count == 1 ? outputs[0] : cat(outputs);
        return outputIndex is null ? all : all.index_select(0, outputIndex);
    }

    static Tensor Rect(Tensor x, Tensor? index, long n, long len) =>
        (index is null ? x : x.index_select(0, index)).view(n, len, x.shape[1], x.shape[2]).transpose(1, 2);

    /// <summary>
    /// Global attention: sequences sorted by length and bucketed so each bucket pads to at most
    /// <paramref name="bucketRatio"/> times a member's length; cost ~ sum of len², one SDPA call per bucket.
    /// </summary>
    public static AttentionPlan Global(int[] offsets, Device device, double bucketRatio = 1.25) =>
        Standalone(offsets, device, staging => PlanGlobal(offsets, staging, bucketRatio));

    /// <summary>
    /// Local attention (|i - j| &lt;= <paramref name="halfWindow"/>): each sequence is cut into blocks of
    /// halfWindow queries that see only their own and the two neighbouring key blocks (3 x halfWindow keys)
    /// under a band mask; cost ~ T x 3 x halfWindow. Sequences short enough to sit inside one window use the
    /// global plan's buckets, where the band is the whole sequence.
    /// </summary>
    public static AttentionPlan Local(int[] offsets, int halfWindow, Device device, double bucketRatio = 1.25) =>
        Standalone(offsets, device, staging => PlanLocal(offsets, halfWindow, staging, bucketRatio));

    /// <summary>A plan on its own (tests, benchmarks): sequence ids and positions ride along in the one upload.</summary>
    static AttentionPlan Standalone(int[] offsets, Device device, Func<StagingBuffer, Layout> plan)
    {
        using var staging = new StagingBuffer(4 * offsets[^1]);
        var layout = plan(staging);
        var sequence = staging.Reserve(offsets[^1], out var sequenceSegment);
        var position = staging.Reserve(offsets[^1], out var positionSegment);
        for (int s = 0; s + 1 < offsets.Length; s++)
            for (int t = offsets[s]; t < offsets[s + 1]; t++) (sequence[t], position[t]) = (s, t - offsets[s]);
        using var scope = NewDisposeScope();
        var uploaded = staging.Upload(device);
        var built = Build(layout, uploaded, sequenceSegment.Of(uploaded), positionSegment.Of(uploaded));
        scope.MoveToOuter(built.Owned);
        return built;
    }

    /// <summary>The tensors this plan keeps (and disposes).</summary>
    internal IEnumerable<IDisposable> Owned =>
        groups.SelectMany(g => new[] { g.QueryIndex, g.KeyIndex, g.Mask }).Append(outputIndex).Append(flash?.CuSeqlens).OfType<IDisposable>().Distinct(ReferenceEqualityComparer.Instance).Cast<IDisposable>();

    public void Dispose()
    {
        foreach (var t in Owned) t.Dispose();
    }
}
