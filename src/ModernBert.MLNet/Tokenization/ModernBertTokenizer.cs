using System.Runtime.InteropServices;
using System.Text;

namespace MLNetExt.ModernBert.Tokenization;

/// <summary>
/// ModernBERT's tokenizer: byte-level BPE as in a Hugging Face <c>tokenizer.json</c>, giving the same ids as Hugging
/// Face's tokenizers. Steps, as there: added tokens are split out of the raw text (with lstrip for [MASK]), the rest is
/// NFC-normalized, normalized added tokens (GPT-NeoX's runs of spaces) are split out, GPT-2 pre-tokenization, BPE
/// (cached per word), then the template <c>[CLS] $A [SEP]</c> / <c>[CLS] $A [SEP] $B [SEP]</c>. Time is linear in
/// the text, and with a <c>maxLength</c> only as much text is read as the kept ids need (see <see cref="ContentEncoder"/>).
/// Immutable and safe to share between threads.
/// </summary>
public sealed class ModernBertTokenizer
{
    readonly TokenizerDefinition _definition;
    readonly ContentEncoder _content;
    readonly SequenceTemplate _template;
    readonly string?[] _idToToken;
    readonly bool[] _isSpecial;

    ModernBertTokenizer(TokenizerDefinition definition, string source)
    {
        _definition = definition;
        _template = definition.Template ?? throw new InvalidDataException(
            $"{source}: no post-processor template ([CLS] $A [SEP]); pass SpecialTokenIds with the model config's cls/sep ids.");
        _content = new ContentEncoder(definition);

        VocabSize = Math.Max(definition.Vocab.Values.Max(), definition.AddedTokens.Select(t => t.Id).DefaultIfEmpty(0).Max()) + 1;
        _idToToken = new string?[VocabSize];
        _isSpecial = new bool[VocabSize];
        foreach (var (token, id) in definition.Vocab) _idToToken[id] = token;
        foreach (var t in definition.AddedTokens)
        {
            _idToToken[t.Id] = t.Content;
            _isSpecial[t.Id] = t.Special;
        }

        ClsId = _template.LeadingSpecialId ?? throw new InvalidDataException($"{source}: the post-processor template does not start with a special token ([CLS]).");
        SepId = _template.TrailingSpecialId ?? throw new InvalidDataException($"{source}: the post-processor template does not end with a special token ([SEP]).");
        PadId = FindAdded("[PAD]") ?? throw new InvalidDataException($"{source}: no [PAD] added token; pass SpecialTokenIds to add one.");
        MaskId = FindAdded("[MASK]") ?? throw new InvalidDataException($"{source}: no [MASK] added token; pass SpecialTokenIds to add one.");
        UnkId = FindAdded("[UNK]");
    }

    /// <summary>
    /// Loads a Hugging Face <c>tokenizer.json</c>. ModernBERT's special tokens missing from the file ([CLS], [SEP],
    /// [PAD], [MASK], [UNK]) are added at the ids in <paramref name="fallback"/>, and a file without a template gets
    /// <c>[CLS] $A [SEP]</c> from them; tokens and template present in the file always win.
    /// </summary>
    public static ModernBertTokenizer Load(string tokenizerJsonPath, SpecialTokenIds? fallback = null)
    {
        var definition = TokenizerJsonReader.Read(tokenizerJsonPath);
        if (fallback is not null) definition = SpecialTokenCompletion.Complete(definition, fallback, tokenizerJsonPath);
        return new ModernBertTokenizer(definition, tokenizerJsonPath);
    }

    /// <summary>A <c>tokenizer.json</c>'s bytes (e.g. a model zip's entry), named <paramref name="source"/> in errors.</summary>
    internal static ModernBertTokenizer FromBytes(byte[] tokenizerJson, string source) =>
        new(TokenizerJsonReader.Read(tokenizerJson, source), source);

    /// <summary>
    /// The tokenizer for models trained from scratch, needing no files: GPT-2's BPE (ids 0-50256, 50256 being
    /// &lt;|endoftext|&gt;) with NFC normalization, then [UNK]=50257, [CLS]=50258, [SEP]=50259, [PAD]=50260,
    /// [MASK]=50261 (lstrip); <see cref="VocabSize"/> is 50262. <see cref="Save"/> writes it as a tokenizer.json.
    /// </summary>
    public static ModernBertTokenizer CreateDefault() => new(DefaultTokenizer.Definition.Value, "the default GPT-2 tokenizer");

    /// <summary>One past the largest token id (vocabulary and added tokens).</summary>
    public int VocabSize { get; }
    public int ClsId { get; }
    public int SepId { get; }
    public int PadId { get; }
    public int MaskId { get; }
    /// <summary>The [UNK] id, if the tokenizer has one (byte-level BPE never produces it).</summary>
    public int? UnkId { get; }

    /// <summary>True for special tokens ([CLS], [SEP], [PAD], [MASK], ...): never masked or predicted in MLM.</summary>
    public bool IsSpecial(int id) => (uint)id < (uint)_isSpecial.Length && _isSpecial[id];

    /// <summary>Writes this tokenizer as a Hugging Face <c>tokenizer.json</c>, loadable by <see cref="Load"/> and by Hugging Face.</summary>
    public void Save(string tokenizerJsonPath) => TokenizerJsonWriter.Write(_definition, tokenizerJsonPath);

    /// <summary>
    /// <c>[CLS] text [SEP]</c>, keeping at most <paramref name="maxLength"/> ids in all (the text's tail is cut).
    /// Null or empty text gives <c>[CLS] [SEP]</c>.
    /// </summary>
    public TokenizedText Encode(string? text, int maxLength = int.MaxValue)
    {
        int budget = ContentBudget(maxLength, _template.SingleSpecialCount);
        var a = _content.Encode(text, budget).Ids;
        bool truncated = a.Count > budget;
        if (truncated) a.RemoveRange(budget, a.Count - budget);
        return new TokenizedText(_template.Apply(a, null), truncated);
    }

    /// <summary>
    /// <c>[CLS] first [SEP] second [SEP]</c> within <paramref name="maxLength"/> ids, truncating longest-first as
    /// Hugging Face does: the longer text is cut first; when both must be cut, they share the budget equally.
    /// </summary>
    public TokenizedText EncodePair(string? first, string? second, int maxLength = int.MaxValue)
    {
        int budget = ContentBudget(maxLength, _template.PairSpecialCount);
        var a = _content.Encode(first, budget).Ids;
        var b = _content.Encode(second, budget).Ids;
        bool truncated = a.Count + b.Count > budget;
        if (truncated)
        {
            // Both over the budget: each keeps half, and an odd budget's extra id goes to the text with more ids in all.
            bool firstIsLonger = a.Count > budget && b.Count > budget && budget % 2 == 1 ? FirstHasMoreIds(first!, second!, budget) : a.Count > b.Count;
            var (keepA, keepB) = LongestFirst(a.Count, b.Count, budget, firstIsLonger);
            a.RemoveRange(keepA, a.Count - keepA);
            b.RemoveRange(keepB, b.Count - keepB);
        }
        return new TokenizedText(_template.Apply(a, b), truncated);
    }

    /// <summary>The text's ids with no special tokens and no truncation.</summary>
    public int[] EncodeWithoutSpecialTokens(string? text) => _content.Encode(text, int.MaxValue).Ids.ToArray();

    /// <summary>The first ids of <paramref name="text"/>: all of them if at most <paramref name="limit"/>, else more than <paramref name="limit"/>.</summary>
    internal ContentIds EncodeContent(string? text, int limit) => _content.Encode(text, limit);

    /// <summary>Ids back to text; special tokens are left out unless <paramref name="skipSpecialTokens"/> is false.</summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var bytes = new List<byte>();
        foreach (int id in ids)
        {
            string token = (uint)id < (uint)_idToToken.Length && _idToToken[id] is { } t
                ? t
                : throw new ArgumentOutOfRangeException(nameof(ids), $"Token id {id} is not in the vocabulary (size {VocabSize}).");
            if (skipSpecialTokens && _isSpecial[id]) continue;
            ByteLevelAlphabet.AppendBytes(token, bytes);
        }
        return Encoding.UTF8.GetString(CollectionsMarshal.AsSpan(bytes));
    }

    static int ContentBudget(int maxLength, int specialCount) => maxLength >= specialCount
        ? maxLength - specialCount
        : throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, $"maxLength must leave room for the {specialCount} special tokens.");

    /// <summary>
    /// Hugging Face's longest-first split of <paramref name="budget"/> between two sequences. Lengths may be capped at
    /// budget + 1: past the budget only which text is longer matters, and <paramref name="firstIsLonger"/> says that.
    /// </summary>
    static (int, int) LongestFirst(int lengthA, int lengthB, int budget, bool firstIsLonger)
    {
        int n1 = Math.Min(lengthA, lengthB), n2;
        n2 = n1 > budget ? n1 : Math.Max(n1, budget - n1);
        if (n1 + n2 > budget)
        {
            n1 = budget / 2;
            n2 = n1 + budget % 2;
        }
        return firstIsLonger ? (Math.Min(n2, lengthA), Math.Min(n1, lengthB)) : (Math.Min(n1, lengthA), Math.Min(n2, lengthB));
    }

    /// <summary>
    /// Whether <paramref name="first"/> has more ids than <paramref name="second"/>, both having more than
    /// <paramref name="atLeast"/>: counted to a doubling limit until one text ends, so the work follows the shorter text.
    /// </summary>
    bool FirstHasMoreIds(string first, string second, int atLeast)
    {
        for (long limit = 2L * atLeast; ; limit *= 2)
        {
            int cap = (int)Math.Min(limit, int.MaxValue - 1);
            int a = _content.Encode(first, cap).Ids.Count, b = _content.Encode(second, cap).Ids.Count;
            if (a <= cap || b <= cap) return a > b;
        }
    }

    int? FindAdded(string content) => _definition.AddedTokens.FirstOrDefault(t => t.Content == content)?.Id;
}
