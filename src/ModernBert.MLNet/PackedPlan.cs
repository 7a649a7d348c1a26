using MLNetExt.Training.Packing;
using MLNetExt.Training.Transfer;

namespace MLNetExt.ModernBert;

/// <summary>
/// The host half of a <see cref="PackedInput"/>: truncation, token ids, positions, sequence ids and both attention
/// plans' row tables, all written into one <see cref="StagingBuffer"/> so the device half costs one upload. It needs
/// no torch, so a trainer builds the next batch's plan on a worker thread while the device runs the current one.
/// Extra integer arrays (e.g. a task's label positions and ids) ride along in the same upload.
/// </summary>
internal sealed class PackedPlan : IDisposable
{
    public ModernBertConfig Config { get; }
    public int[] Offsets { get; }
    public int[] SourceRows { get; }
    public StagingBuffer Staging { get; }
    public Segment Ids { get; }
    public Segment Positions { get; }
    public Segment SequenceIds { get; }
    public Segment FirstTokens { get; }
    /// <summary>cu_seqlens (Count + 1 values), for the varlen flash kernel.</summary>
    public Segment OffsetsSegment { get; }
    public Segment Lengths { get; }
    public AttentionPlan.Layout Global { get; }
    public AttentionPlan.Layout Local { get; }
    public IReadOnlyList<Segment> Extras { get; }
    public int TokenCount => Offsets[^1];

    /// <param name="ids">Token ids in <paramref name="batch"/>'s packed layout to use instead of its own (e.g. a masked copy).</param>
    public PackedPlan(PackedBatch batch, ModernBertConfig config, LongInputPolicy policy, long[]? ids = null, params long[][] extras)
    {
        if (ids is not null && ids.Length != batch.TokenCount)
            throw new ArgumentException($"ids has {ids.Length} entries for a batch of {batch.TokenCount} tokens.", nameof(ids));
        Config = config;
        int max = config.MaxPositionEmbeddings;
        Offsets = new int[batch.Count + 1];
        for (int i = 0; i < batch.Count; i++)
        {
            if (batch.Length(i) > max && policy == LongInputPolicy.Throw)
                throw new ArgumentException($"Row {batch.SourceRows[i]} has {batch.Length(i)} tokens; the model accepts at most max_position_embeddings = {max}.");
            Offsets[i + 1] = Offsets[i] + Math.Min(batch.Length(i), max);
        }
        SourceRows = batch.SourceRows;
        int tokens = Offsets[^1], half = config.LocalHalfWindow;
        Staging = new StagingBuffer(3 * tokens + 3 * (tokens / Math.Max(half, 1)) + 12 * batch.Count + extras.Sum(e => e.Length) + 8);
        var source = ids ?? batch.TokenIds;
        var idSpan = Staging.Reserve(tokens, out var idSegment);
        var positionSpan = Staging.Reserve(tokens, out var positionSegment);
        var sequenceSpan = Staging.Reserve(tokens, out var sequenceSegment);
        for (int i = 0; i < batch.Count; i++)
        {
            int from = batch.Offsets[i], to = Offsets[i], kept = Offsets[i + 1] - Offsets[i];
            source.AsSpan(from, kept).CopyTo(idSpan[to..]);
            batch.PositionIds.AsSpan(from, kept).CopyTo(positionSpan[to..]);
            sequenceSpan.Slice(to, kept).Fill(i);
        }
        (Ids, Positions, SequenceIds) = (idSegment, positionSegment, sequenceSegment);
        OffsetsSegment = Staging.Append(Offsets);
        FirstTokens = new Segment(OffsetsSegment.Offset, batch.Count);
        var lengths = Staging.Reserve(batch.Count, out var lengthSegment);
        for (int i = 0; i < batch.Count; i++) lengths[i] = Offsets[i + 1] - Offsets[i];
        Lengths = lengthSegment;
        Global = AttentionPlan.PlanGlobal(Offsets, Staging);
        Local = AttentionPlan.PlanLocal(Offsets, half, Staging);
        Extras = extras.Select(e => Staging.Append(e)).ToArray();
    }

    public void Dispose() => Staging.Dispose();
}
