using MLNetExt.Training;
using MLNetExt.Training.Transfer;
using static TorchSharp.torch;

namespace MLNetExt.ModernBert;

// The host half of an attention plan (which groups, a few numbers per row), then its device half.
public sealed partial class AttentionPlan
{
    /// <summary>
    /// Sequences padded to <c>Width</c>, one per row: each row's first packed token and length. <c>Identity</c>: the
    /// rows are all T tokens in order, so no gather is needed; <c>Ragged</c>: some row is shorter, so keys are masked.
    /// </summary>
    internal sealed record FullGroup(Segment Starts, Segment Lengths, int Rows, int Width, bool Ragged, bool Identity);

    /// <summary>Blocks of <c>Half</c> queries over 3 x Half keys: each row's sequence start, block start and sequence length.</summary>
    internal sealed record BandGroup(Segment SequenceStarts, Segment BlockStarts, Segment Lengths, int Rows, int Half);

    /// <summary>The groups, and per sequence where its outputs start in the concatenated group outputs (null: packed order).</summary>
    internal sealed record Layout(IReadOnlyList<object> Groups, Segment? OutputBases);

    internal static Layout PlanGlobal(int[] offsets, StagingBuffer staging, double bucketRatio = 1.25)
    {
        var lengths = Lengths(offsets);
        var bases = new long[lengths.Length];
        long rows = 0;
        var groups = Buckets(Enumerable.Range(0, lengths.Length).ToArray(), lengths, bucketRatio)
            .Select(seqs => (object)Full(seqs, offsets, lengths, staging, bases, ref rows)).ToList();
        return new Layout(groups, OutputBases(bases, offsets, rows, staging));
    }

    internal static Layout PlanLocal(int[] offsets, int halfWindow, StagingBuffer staging, double bucketRatio = 1.25)
    {
        var lengths = Lengths(offsets);
        var bases = new long[lengths.Length];
        long rows = 0;
        var all = Enumerable.Range(0, lengths.Length);
        var groups = Buckets(all.Where(i => lengths[i] <= halfWindow + 1).ToArray(), lengths, bucketRatio)
            .Select(seqs => (object)Full(seqs, offsets, lengths, staging, bases, ref rows)).ToList();
        var longSeqs = all.Where(i => lengths[i] > halfWindow + 1).ToArray();
        if (longSeqs.Length > 0) groups.Add(Band(longSeqs, offsets, lengths, halfWindow, staging, bases, ref rows));
        return new Layout(groups, OutputBases(bases, offsets, rows, staging));
    }

    static int[] Lengths(int[] offsets) => Enumerable.Range(0, offsets.Length - 1).Select(i => offsets[i + 1] - offsets[i]).ToArray();

    /// <summary>Sequences longest first, cut where a member would be padded beyond bucketRatio times its length.</summary>
    static IEnumerable<int[]> Buckets(int[] seqs, int[] lengths, double bucketRatio)
    {
        var order = seqs.OrderByDescending(i => lengths[i]).ThenBy(i => i).ToArray();
        for (int start = 0; start < order.Length;)
        {
            int end = start + 1;
            while (end < order.Length && lengths[order[end]] * bucketRatio >= lengths[order[start]]) end++;
            yield return order[start..end];
            start = end;
        }
    }

    static FullGroup Full(int[] seqs, int[] offsets, int[] lengths, StagingBuffer staging, long[] bases, ref long rows)
    {
        int width = lengths[seqs[0]];
        var starts = staging.Reserve(seqs.Length, out var startSegment);
        var lens = staging.Reserve(seqs.Length, out var lengthSegment);
        bool ragged = false, inOrder = true;
        for (int r = 0; r < seqs.Length; r++)
        {
            int s = seqs[r];
            (starts[r], lens[r]) = (offsets[s], lengths[s]);
            ragged |= lengths[s] < width;
            inOrder &= s == r;
            bases[s] = rows + (long)r * width;
        }
        rows += (long)seqs.Length * width;
        bool identity = !ragged && inOrder && (long)seqs.Length * width == offsets[^1];
        return new FullGroup(startSegment, lengthSegment, seqs.Length, width, ragged, identity);
    }

    static BandGroup Band(int[] seqs, int[] offsets, int[] lengths, int half, StagingBuffer staging, long[] bases, ref long rows)
    {
        int blocks = seqs.Sum(s => (lengths[s] + half - 1) / half);
        var seqStarts = staging.Reserve(blocks, out var seqSegment);
        var blockStarts = staging.Reserve(blocks, out var blockSegment);
        var lens = staging.Reserve(blocks, out var lengthSegment);
        int r = 0;
        foreach (int s in seqs)
        {
            bases[s] = rows + (long)r * half;
            for (int b = 0; b * half < lengths[s]; b++, r++) (seqStarts[r], blockStarts[r], lens[r]) = (offsets[s], b * half, lengths[s]);
        }
        rows += (long)blocks * half;
        return new BandGroup(seqSegment, blockSegment, lengthSegment, blocks, half);
    }

    /// <summary>Null when the group outputs are exactly the packed tokens in order (no padding rows, no scatter needed).</summary>
    static Segment? OutputBases(long[] bases, int[] offsets, long rows, StagingBuffer staging)
    {
        bool identity = rows == offsets[^1];
        for (int s = 0; identity && s < bases.Length; s++) identity = bases[s] == offsets[s];
        return identity ? null : staging.Append(bases);
    }

    /// <summary>The device half: gather indices and masks from the uploaded row tables; runs in the caller's dispose scope.</summary>
    internal static AttentionPlan Build(Layout layout, Tensor uploaded, Tensor sequenceIds, Tensor positions, Flash? flash = null)
    {
        var groups = new List<Group>(layout.Groups.Count);
        foreach (var g in layout.Groups) groups.Add(g is FullGroup full ? BuildFull(full, uploaded) : BuildBand((BandGroup)g, uploaded));
        // A token's output row: its sequence's base plus its position (blocks of a sequence are consecutive rows).
        var output = layout.OutputBases is Segment bases ? bases.Of(uploaded).index_select(0, sequenceIds).Plus(positions) : null;
        return new AttentionPlan(groups, output, flash);
    }

    static Group BuildFull(FullGroup g, Tensor uploaded)
    {
        if (g.Identity) return new Group(null, null, null, g.Rows, g.Width, g.Width);
        var device = uploaded.device;
        var position = Scalars.Arange(g.Width, device).unsqueeze(0);                    // [1, w]
        var valid = position.lt(g.Lengths.Of(uploaded).unsqueeze(1));                   // [n, w]
        var index = position.mul(valid).Plus(g.Starts.Of(uploaded).unsqueeze(1)).view(-1); // padding gathers the row's first token
        // [n, 1, 1, Lk]: broadcast over heads and queries; padded query rows still see real keys, so no NaN.
        var mask = g.Ragged ? valid.view(g.Rows, 1, 1, g.Width) : null;
        return new Group(index, index, mask, g.Rows, g.Width, g.Width);
    }

    static Group BuildBand(BandGroup g, Tensor uploaded)
    {
        var device = uploaded.device;
        int half = g.Half, keys = 3 * half;
        var seqStart = g.SequenceStarts.Of(uploaded).unsqueeze(1);                     // [n, 1]
        var blockStart = g.BlockStarts.Of(uploaded).unsqueeze(1);
        var length = g.Lengths.Of(uploaded).unsqueeze(1);
        var queryPos = blockStart.Plus(Scalars.Arange(half, device).unsqueeze(0));      // [n, half]
        var queryIndex = queryPos.mul(queryPos.lt(length)).Plus(seqStart).view(-1);    // a query past the end gathers the first token
        var keyPos = blockStart.Plus(DeviceTables.KeyOffsets(device, half));            // [n, 3 half]: the previous, own and next block
        var real = keyPos.ge(Scalars.Zero).logical_and(keyPos.lt(length));
        var keyIndex = keyPos.mul(real).Plus(seqStart).view(-1);
        // A padded query (pos >= len) still has the sequence's last token within the band: no empty rows.
        var mask = DeviceTables.Band(device, half).logical_and(real.view(g.Rows, 1, 1, keys)); // [n, 1, half, 3 half]
        return new Group(queryIndex, keyIndex, mask, g.Rows, half, keys);
    }
}
