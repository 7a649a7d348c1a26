namespace MLNetExt.ModernBert.Tokenization;

/// <summary>Token ids of one encoded text (special tokens included) and how many content tokens truncation dropped.</summary>
public readonly record struct TokenizedText(int[] Ids, int TruncatedTokens);
