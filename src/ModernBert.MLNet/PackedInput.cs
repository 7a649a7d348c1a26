using MLNetExt.Training.Packing;
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
/// and reused by every layer. Sequence i owns packed tokens [Offsets[i], Offsets[i+1]).
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

    readonly Dictionary<double, (Tensor Cos, Tensor Sin)> rotary = [];
    // For input that came padded: index of each packed token in the flattened [B, L] grid, and that grid's shape.
    readonly Tensor? paddedIndex;
    readonly (long Rows, long Columns) paddedShape;

    PackedInput(PackedBatch batch, ModernBertConfig config, Device? device, LongInputPolicy policy, Tensor? paddedIndex, (long, long) paddedShape)
    {
        Device = device ?? CPU;
        int max = config.MaxPositionEmbeddings;
        var kept = Enumerable.Range(0, batch.Count).Select(i => Math.Min(batch.Length(i), max)).ToArray();
        if (policy == LongInputPolicy.Throw)
            for (int i = 0; i < batch.Count; i++)
                if (batch.Length(i) > max)
                    throw new ArgumentException($"Row {batch.SourceRows[i]} has {batch.Length(i)} tokens; the model accepts at most max_position_embeddings = {max}.");
        Offsets = new int[batch.Count + 1];
        for (int i = 0; i < batch.Count; i++) Offsets[i + 1] = Offsets[i] + kept[i];
        SourceRows = batch.SourceRows;
        var ids = new long[TokenCount];
        var pos = new long[TokenCount];
        var seq = new long[TokenCount];
        for (int i = 0; i < batch.Count; i++)
        {
            Array.Copy(batch.TokenIds, batch.Offsets[i], ids, Offsets[i], kept[i]);
            Array.Copy(batch.PositionIds, batch.Offsets[i], pos, Offsets[i], kept[i]);
            Array.Fill(seq, i, Offsets[i], kept[i]);
        }
        InputIds = tensor(ids, device: Device);
        PositionIds = tensor(pos, device: Device);
        SequenceIds = tensor(seq, device: Device);
        // One table pair per distinct theta (global and local layers often share theirs); the tables' intermediates
        // are freed here even when the caller has no dispose scope.
        using (NewDisposeScope())
            foreach (double theta in new[] { config.RopeTheta(AttentionKind.Global), config.RopeTheta(AttentionKind.Local) }.Distinct())
            {
                var (cos, sin) = Rotary.Tables(PositionIds, config.HeadDim, theta);
                rotary[theta] = (cos.MoveToOuterDisposeScope(), sin.MoveToOuterDisposeScope());
            }
        GlobalPlan = AttentionPlan.Global(Offsets, Device);
        LocalPlan = AttentionPlan.Local(Offsets, config.LocalHalfWindow, Device);
        this.paddedIndex = paddedIndex;
        this.paddedShape = paddedShape;
    }

    /// <summary>Moves a packed batch to <paramref name="device"/> and plans its attention.</summary>
    public static PackedInput Create(PackedBatch batch, ModernBertConfig config, Device? device = null, LongInputPolicy policy = LongInputPolicy.Truncate) =>
        new(batch, config, device, policy, null, default);

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
        return new PackedInput(batch, config, device, policy, tensor(flat.ToArray(), device: device ?? CPU), (rows, cols));
    }

    /// <summary>Rotary cos/sin tables [T, headDim] (float32) for a base theta of the config this input was built for.</summary>
    public (Tensor Cos, Tensor Sin) RotaryTables(double theta) => rotary[theta];

    /// <summary>[Count] long: index of each sequence's first packed token (its [CLS]).</summary>
    public Tensor FirstTokens() => tensor(Offsets[..^1].Select(o => (long)o).ToArray(), device: Device);

    /// <summary>[Count] long: real tokens per sequence.</summary>
    public Tensor Lengths() => tensor(Enumerable.Range(0, Count).Select(i => (long)(Offsets[i + 1] - Offsets[i])).ToArray(), device: Device);

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
        InputIds.Dispose();
        PositionIds.Dispose();
        SequenceIds.Dispose();
        foreach (var (cos, sin) in rotary.Values) { cos.Dispose(); sin.Dispose(); }
        GlobalPlan.Dispose();
        LocalPlan.Dispose();
        paddedIndex?.Dispose();
    }
}
