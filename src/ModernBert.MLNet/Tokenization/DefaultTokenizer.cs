namespace MLNetExt.ModernBert.Tokenization;

/// <summary>The file-free tokenizer for from-scratch models: GPT-2's BPE plus ModernBERT's special tokens after it.</summary>
internal static class DefaultTokenizer
{
    // Deriving the merges from GPT-2's ranks takes a moment; do it once per process.
    public static readonly Lazy<TokenizerDefinition> Definition = new(Build);

    static TokenizerDefinition Build()
    {
        var (vocab, merges) = Gpt2Vocabulary.Load();
        int next = Gpt2Vocabulary.EndOfTextId;
        AddedToken Special(string content, bool lstrip = false) => new(next++, content, Special: true, LStrip: lstrip);
        var added = new List<AddedToken>
        {
            Special(Gpt2Vocabulary.EndOfText), Special("[UNK]"), Special("[CLS]"), Special("[SEP]"), Special("[PAD]"), Special("[MASK]", lstrip: true),
        };
        var template = SequenceTemplate.Bert("[CLS]", added[2].Id, "[SEP]", added[3].Id);
        return new TokenizerDefinition(vocab, merges, added, Nfc: true, template);
    }
}
