namespace MLNetExt.ModernBert.Tokenization;

/// <summary>
/// What a byte-level BPE <c>tokenizer.json</c> holds that encoding needs: the model (vocab, merges in priority
/// order), added tokens, whether text is NFC-normalized, and the post-processor template (null if the file has none).
/// </summary>
internal sealed record TokenizerDefinition(
    IReadOnlyDictionary<string, int> Vocab,
    IReadOnlyList<(string Left, string Right)> Merges,
    IReadOnlyList<AddedToken> AddedTokens,
    bool Nfc,
    SequenceTemplate? Template);
