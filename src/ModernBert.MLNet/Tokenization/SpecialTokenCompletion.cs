namespace MLNetExt.ModernBert.Tokenization;

/// <summary>Adds ModernBERT's special tokens and template to a tokenizer definition that lacks them.</summary>
internal static class SpecialTokenCompletion
{
    public static TokenizerDefinition Complete(TokenizerDefinition definition, SpecialTokenIds ids, string source)
    {
        var added = definition.AddedTokens.ToList();
        int Ensure(string content, int id, bool lstrip = false)
        {
            if (added.FirstOrDefault(t => t.Content == content) is { } existing) return existing.Id;
            string? taken = added.FirstOrDefault(t => t.Id == id)?.Content ?? definition.Vocab.FirstOrDefault(kv => kv.Value == id).Key;
            if (taken is not null)
                throw new InvalidDataException($"{source}: cannot add {content} at id {id}, which is already '{taken}'; choose another id in SpecialTokenIds.");
            added.Add(new AddedToken(id, content, Special: true, LStrip: lstrip));
            return id;
        }

        if (ids.Unk is int unk) Ensure("[UNK]", unk);
        int cls = Ensure("[CLS]", ids.Cls);
        int sep = Ensure("[SEP]", ids.Sep);
        Ensure("[PAD]", ids.Pad);
        Ensure("[MASK]", ids.Mask, lstrip: true);
        return definition with
        {
            AddedTokens = added.OrderBy(t => t.Id).ToList(),
            Template = definition.Template ?? SequenceTemplate.Bert("[CLS]", cls, "[SEP]", sep),
        };
    }
}
