using MLNetExt.Training.Packing;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.ModernBert;

/// <summary>What to do with a sequence longer than the config's <c>max_position_embeddings</c>.</summary>
public enum LongInputPolicy
{
    /// <summary>Keep the first max_position_embeddings tokens.</summary>
    Truncate,
    /// <summary>Throw, naming the row and its length.</summary>
    Throw,
}

/// <summary>
/// A packed batch on the device, ready for <see cref="ModernBertModel"/>: token and position ids [T], which
/// sequence each token belongs to, rotary tables and the global and local attention plans, built once per batch
/// and reused by every layer. Sequence i owns packed tokens [Offsets[i], Offsets[i+1]). Everything the host knows
/// about the batch reaches the device in one upload (<see cref="PackedPlan"/>); the rest is computed there.
/// </summary>
public sealed class PackedInput : IDisposable
{
    public Tensor InputIds { get; }
    public Tensor PositionIds { get; }
    /// <summary>[T] long: the packed sequence each token belongs to.</summary>
    public Tensor SequenceIds { get; }
    /// <summary>cu_seqlens after any truncation.</summary>
    public int[] Offsets { get; }
    /// <summary>For each packed sequence, the row of the caller's data it came from.</summary>
    public int[] SourceRows { get; }
    public AttentionPlan GlobalPlan { get; }
    public AttentionPlan LocalPlan { get; }
    public int Count => Offsets.Length - 1;
    public int TokenCount => Offsets[^1];
    public Device Device { get; }

    readonly ModernBertConfig config;
    readonly Tensor uploaded; // the batch's one upload: ids, positions, sequence ids, plan tables and extras are views of it
    readonly Tensor firstTokens, lengths;
    readonly Tensor[] extras;
    readonly Dictionary<(double Theta, ScalarType Dtype), (Tensor Cos, Tensor Sin)> rotary = [];
    // For input that came padded: index of each packed token in the flattened [B, L] grid, and that grid's shape.
    readonly Tensor? paddedIndex;
    readonly (long Rows, long Columns) paddedShape;

    /// <summary>
    /// Off by default: on CUDA, attention through the varlen flash kernel (<see cref="VarlenFlashAttention"/>) instead
    /// of gathered SDPA groups, for bf16/fp16 without attention dropout. Not yet run on a GPU (docs/GPU.md says how to try it).
    /// </summary>
    internal static bool FlashOnCuda { get; set; }

    /// <summary>Uploads <paramref name="plan"/> and builds the attention plans on <paramref name="device"/>; the plan's buffer goes back to its pool.</summary>
    internal PackedInput(PackedPlan plan, Device device, (long, long) paddedShape = default)
    {
        Device = device;
        config = plan.Config;
        Offsets = plan.Offsets;
        SourceRows = plan.SourceRows;
        using (var scope = NewDisposeScope())
        {
            uploaded = plan.Staging.Upload(device);
            plan.Dispose();
            InputIds = plan.Ids.Of(uploaded);
            PositionIds = plan.Positions.Of(uploaded);
            SequenceIds = plan.SequenceIds.Of(uploaded);
            firstTokens = plan.FirstTokens.Of(uploaded);
            lengths = plan.Lengths.Of(uploaded);
            extras = plan.Extras.Select(e => e.Of(uploaded)).ToArray();
            var cuSeqlens = FlashOnCuda && device.type == DeviceType.CUDA ? plan.OffsetsSegment.Of(uploaded).to_type(ScalarType.Int32) : null;
            int longest = Enumerable.Range(0, Count).Max(i => Offsets[i + 1] - Offsets[i]);
            GlobalPlan = AttentionPlan.Build(plan.Global, uploaded, SequenceIds, PositionIds, cuSeqlens is null ? null : new(cuSeqlens, longest, -1));
            LocalPlan = AttentionPlan.Build(plan.Local, uploaded, SequenceIds, PositionIds,
                cuSeqlens is null ? null : new(cuSeqlens.alias(), longest, config.LocalHalfWindow));
            // What this input keeps outlives the scope (it goes in Dispose); the building temporaries do not.
            scope.MoveToOuter(new[] { uploaded, InputIds, PositionIds, SequenceIds, firstTokens, lengths }.Concat(extras)
                .Concat(GlobalPlan.Owned).Concat(LocalPlan.Owned));
        }
        if (paddedShape != default)
        {
            paddedIndex = extras[^1];
            this.paddedShape = paddedShape;
        }
    }

    /// <summary>Moves a packed batch to <paramref name="device"/> and plans its attention.</summary>
    public static PackedInput Create(PackedBatch batch, ModernBertConfig config, Device? device = null, LongInputPolicy policy = LongInputPolicy.Truncate) =>
        new(new PackedPlan(batch, config, policy), device ?? CPU);

    /// <summary>
    /// Hugging Face-style input: <paramref name="inputIds"/> [B, L] with <paramref name="attentionMask"/> [B, L]
    /// (1 = real token). Real tokens are packed row by row; positions count real tokens from 0 in each row.
    /// </summary>
    public static PackedInput FromPadded(Tensor inputIds, Tensor attentionMask, ModernBertConfig config, Device? device = null, LongInputPolicy policy = LongInputPolicy.Truncate)
    {
        if (inputIds.dim() != 2) throw new ArgumentException($"input_ids must be [batch, length], got [{string.Join(", ", inputIds.shape)}].", nameof(inputIds));
        if (!attentionMask.shape.SequenceEqual(inputIds.shape))
            throw new ArgumentException($"attention_mask shape [{string.Join(", ", attentionMask.shape)}] differs from input_ids [{string.Join(", ", inputIds.shape)}].", nameof(attentionMask));
        long rows = inputIds.shape[0], cols = inputIds.shape[1];
        var ids = inputIds.to(int64).cpu().data<long>().ToArray();
        var mask = attentionMask.to(int64).cpu().data<long>().ToArray();
        var sequences = new List<long[]>();
        var flat = new List<long>();
        for (long r = 0; r < rows; r++)
        {
            var seq = new List<long>();
            for (long c = 0; c < cols; c++)
                if (mask[r * cols + c] != 0) { seq.Add(ids[r * cols + c]); if (seq.Count <= config.MaxPositionEmbeddings) flat.Add(r * cols + c); }
            if (seq.Count == 0) throw new ArgumentException($"attention_mask row {r} has no real tokens.", nameof(attentionMask));
            sequences.Add([.. seq]);
        }
        var batch = PackedBatch.FromSequences(sequences);
        return new PackedInput(new PackedPlan(batch, config, policy, extras: [flat.ToArray()]), device ?? CPU, (rows, cols));
    }

    /// <summary>Rotary cos/sin tables [T, headDim] (float32) for a base theta of the config this input was built for.</summary>
    public (Tensor Cos, Tensor Sin) RotaryTables(double theta) => RotaryTables(theta, ScalarType.Float32);

    /// <summary>
    /// The rotary tables in <paramref name="dtype"/>: gathered from the device's cached per-position table once per
    /// batch and dtype (computed in float32, rounded once to the compute dtype), shared by every layer.
    /// </summary>
    public (Tensor Cos, Tensor Sin) RotaryTables(double theta, ScalarType dtype)
    {
        if (rotary.TryGetValue((theta, dtype), out var tables)) return tables;
        using (var scope = NewDisposeScope())
        {
            var table = DeviceTables.Rotary(Device, theta, config.HeadDim, config.MaxPositionEmbeddings).index_select(0, PositionIds); // [T, 2 hd]
            if (table.dtype != dtype) table = table.to(dtype);
            tables = (table.narrow(1, 0, config.HeadDim), table.narrow(1, config.HeadDim, config.HeadDim));
            scope.MoveToOuter(tables.Cos, tables.Sin);
        }
        rotary[(theta, dtype)] = tables;
        return tables;
    }

    /// <summary>Extra integer arrays the plan carried (in the order given), on the device.</summary>
    internal Tensor Extra(int index) => extras[index];

    /// <summary>[Count] long: index of each sequence's first packed token (its [CLS]).</summary>
    public Tensor FirstTokens() => firstTokens.alias();

    /// <summary>[Count] long: real tokens per sequence.</summary>
    public Tensor Lengths() => lengths.alias();

    /// <summary>Packed [T, ...] back to the caller's padded grid [B, L, ...], zeros at padding (input from <see cref="FromPadded"/> only).</summary>
    public Tensor Repad(Tensor packed)
    {
        if (paddedIndex is null) throw new InvalidOperationException("Repad needs an input built with PackedInput.FromPadded.");
        var rest = packed.shape[1..];
        var grid = zeros([paddedShape.Rows * paddedShape.Columns, .. rest], packed.dtype, packed.device);
        return grid.index_copy(0, paddedIndex, packed).view([paddedShape.Rows, paddedShape.Columns, .. rest]);
    }

    public void Dispose()
    {
        foreach (var t in new[] { InputIds, PositionIds, SequenceIds, firstTokens, lengths, uploaded }.Concat(extras)) t.Dispose();
        foreach (var (cos, sin) in rotary.Values) { cos.Dispose(); sin.Dispose(); }
        GlobalPlan.Dispose();
        LocalPlan.Dispose();
    }
}
