namespace MLNetExt.ModernBert.Tokenization;

/// <summary>
/// Ids for ModernBERT's special tokens, used when a <c>tokenizer.json</c> lacks them (no template, or no [MASK]):
/// they are added as special tokens [CLS], [SEP], [PAD], [MASK] (lstrip) and [UNK] at these ids. Take Cls/Sep/Pad
/// from the model's config.json (cls_token_id, sep_token_id, pad_token_id).
/// </summary>
public sealed record SpecialTokenIds(int Cls, int Sep, int Pad, int Mask, int? Unk)
{
    /// <summary>The ids in answerdotai/ModernBERT-base and -large.</summary>
    public static SpecialTokenIds ModernBert { get; } = new(Cls: 50281, Sep: 50282, Pad: 50283, Mask: 50284, Unk: 50280);
}
