namespace MLNetExt.ModernBert.Tokenization;

/// <summary>
/// Token ids of one encoded text (special tokens included), and whether truncation cut content tokens. How many it
/// cut is not counted: the tokenizer stops reading a long text once the kept tokens are known.
/// </summary>
public readonly record struct TokenizedText(int[] Ids, bool Truncated);
