namespace MLNetExt.ModernBert.Tokenization;

/// <summary>
/// A token matched as a whole before BPE, as in a Hugging Face <c>tokenizer.json</c> <c>added_tokens</c> entry.
/// <paramref name="LStrip"/> swallows the whitespace before a match (ModernBERT's [MASK]); <paramref name="Normalized"/>
/// tokens are matched in the normalized text, the others in the raw text.
/// </summary>
internal sealed record AddedToken(
    int Id,
    string Content,
    bool Special,
    bool LStrip = false,
    bool RStrip = false,
    bool SingleWord = false,
    bool Normalized = false);
