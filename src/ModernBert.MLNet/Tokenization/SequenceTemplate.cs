namespace MLNetExt.ModernBert.Tokenization;

/// <summary>One item of a post-processor template: a special token's ids, or the encoded sequence A or B.</summary>
internal sealed record TemplatePiece(string? Sequence, string? SpecialToken, int[] SpecialIds, int TypeId)
{
    public static TemplatePiece Of(string sequence, int typeId) => new(sequence, null, [], typeId);
    public static TemplatePiece Special(string token, int id, int typeId) => new(null, token, [id], typeId);
}

/// <summary>
/// Hugging Face's TemplateProcessing: how special tokens wrap one sequence (<c>[CLS] $A [SEP]</c>) or a pair
/// (<c>[CLS] $A [SEP] $B [SEP]</c>).
/// </summary>
internal sealed record SequenceTemplate(IReadOnlyList<TemplatePiece> Single, IReadOnlyList<TemplatePiece> Pair)
{
    public static SequenceTemplate Bert(string cls, int clsId, string sep, int sepId) => new(
        [TemplatePiece.Special(cls, clsId, 0), TemplatePiece.Of("A", 0), TemplatePiece.Special(sep, sepId, 0)],
        [TemplatePiece.Special(cls, clsId, 0), TemplatePiece.Of("A", 0), TemplatePiece.Special(sep, sepId, 0),
         TemplatePiece.Of("B", 1), TemplatePiece.Special(sep, sepId, 1)]);

    public int SingleSpecialCount => Single.Sum(p => p.SpecialIds.Length);
    public int PairSpecialCount => Pair.Sum(p => p.SpecialIds.Length);

    /// <summary>The first special id of the single template (the [CLS] role), or null if it starts with $A.</summary>
    public int? LeadingSpecialId => Single.Count > 0 && Single[0].SpecialIds.Length > 0 ? Single[0].SpecialIds[0] : null;

    /// <summary>The last special id of the single template (the [SEP] role), or null if it ends with $A.</summary>
    public int? TrailingSpecialId => Single.Count > 0 && Single[^1].SpecialIds.Length > 0 ? Single[^1].SpecialIds[^1] : null;

    public int[] Apply(IReadOnlyList<int> a, IReadOnlyList<int>? b)
    {
        var pieces = b is null ? Single : Pair;
        var ids = new List<int>(a.Count + (b?.Count ?? 0) + PairSpecialCount);
        foreach (var piece in pieces)
        {
            if (piece.Sequence is null) ids.AddRange(piece.SpecialIds);
            else ids.AddRange(piece.Sequence == "A" ? a : b!);
        }
        return ids.ToArray();
    }
}
