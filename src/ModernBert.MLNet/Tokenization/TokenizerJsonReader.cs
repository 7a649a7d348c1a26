using System.Text.Json;
using MLNetExt.Training.Checkpoints;

namespace MLNetExt.ModernBert.Tokenization;

/// <summary>
/// Reads a Hugging Face <c>tokenizer.json</c> of the byte-level BPE kind (GPT-2, GPT-NeoX, OLMo, ModernBERT) and
/// rejects, naming the file and field, anything this tokenizer would not reproduce exactly.
/// </summary>
internal static class TokenizerJsonReader
{
    public static TokenizerDefinition Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Tokenizer file not found: {path}", path);
        return Read(File.ReadAllBytes(path), path);
    }

    /// <summary>A tokenizer.json's bytes; <paramref name="path"/> names their source in errors.</summary>
    public static TokenizerDefinition Read(byte[] json, string path)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message}).", e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Bad(path, "the root", "a JSON object");
            var model = Required(root, "model", path);
            var (vocab, merges) = ReadModel(model, path);
            var added = ReadAddedTokens(root, vocab, path);
            bool nfc = ReadNormalizer(root, path);
            CheckByteLevel(root, "pre_tokenizer", path, required: true);
            CheckByteLevel(root, "decoder", path, required: false);
            var template = ReadPostProcessor(root, path);
            return new TokenizerDefinition(vocab, merges, added, nfc, template);
        }
    }

    static (Dictionary<string, int>, List<(string, string)>) ReadModel(JsonElement model, string path)
    {
        string type = OptionalString(model, "type") ?? "BPE";
        if (type != "BPE") throw Unsupported(path, "model.type", type, "'BPE' (byte-level)");
        if (model.TryGetProperty("dropout", out var dropout) && dropout.ValueKind != JsonValueKind.Null)
            throw Unsupported(path, "model.dropout", dropout.ToString(), "null");
        foreach (string field in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
            if (OptionalString(model, field) is { Length: > 0 } value) throw Unsupported(path, $"model.{field}", value, "null");
        foreach (string field in new[] { "byte_fallback", "ignore_merges" })
            if (model.TryGetProperty(field, out var flag) && flag.ValueKind == JsonValueKind.True)
                throw Unsupported(path, $"model.{field}", "true", "false");

        var vocabJson = Required(model, "vocab", path, "model.");
        if (vocabJson.ValueKind != JsonValueKind.Object) throw Bad(path, "model.vocab", "an object of token -> id");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in vocabJson.EnumerateObject())
        {
            // The tokenizer keeps an array indexed by id, so an absurd id must not become an absurd allocation.
            if (!entry.Value.TryGetInt32(out int id) || id < 0 || id >= ModelSize.MaxVocabSize)
                throw Bad(path, $"model.vocab[\"{entry.Name}\"]", $"an integer id in [0, {ModelSize.MaxVocabSize})");
            vocab[entry.Name] = id;
        }

        var mergesJson = Required(model, "merges", path, "model.");
        if (mergesJson.ValueKind != JsonValueKind.Array) throw Bad(path, "model.merges", "an array");
        var merges = new List<(string, string)>(mergesJson.GetArrayLength());
        int index = 0;
        foreach (var merge in mergesJson.EnumerateArray())
        {
            // Two layouts exist: "a b" (tokenizers < 0.20) and ["a", "b"].
            string[]? parts = merge.ValueKind switch
            {
                JsonValueKind.String => merge.GetString()!.Split(' '),
                JsonValueKind.Array => merge.EnumerateArray().Select(p => p.GetString() ?? "").ToArray(),
                _ => null,
            };
            if (parts is not { Length: 2 } || !vocab.ContainsKey(parts[0]) || !vocab.ContainsKey(parts[1]) || !vocab.ContainsKey(parts[0] + parts[1]))
                throw Bad(path, $"model.merges[{index}] ({merge})", "a pair of vocabulary tokens whose concatenation is in the vocabulary");
            merges.Add((parts[0], parts[1]));
            index++;
        }
        return (vocab, merges);
    }

    static List<AddedToken> ReadAddedTokens(JsonElement root, Dictionary<string, int> vocab, string path)
    {
        var tokens = new List<AddedToken>();
        if (!root.TryGetProperty("added_tokens", out var array) || array.ValueKind == JsonValueKind.Null) return tokens;
        if (array.ValueKind != JsonValueKind.Array) throw Bad(path, "added_tokens", "an array");
        // Hugging Face ignores the ids written here and numbers added tokens itself (the vocab's id for a token it
        // has, else one past the largest so far); refuse a file whose ids would disagree with that.
        int nextId = vocab.Count;
        foreach (var t in array.EnumerateArray())
        {
            string where = $"added_tokens[{tokens.Count}]";
            string content = OptionalString(t, "content") is { Length: > 0 } c ? c : throw Bad(path, $"{where}.content", "a non-empty string");
            if (!t.TryGetProperty("id", out var idJson) || !idJson.TryGetInt32(out int id)) throw Bad(path, $"{where}.id", "an integer");
            int expected = vocab.TryGetValue(content, out int vocabId) ? vocabId : nextId;
            if (id != expected)
                throw new InvalidDataException($"{path}: {where} ('{content}') has id {id}, but Hugging Face would give it id {expected} " +
                    "(added tokens not in model.vocab take consecutive ids after it, in file order).");
            if (!vocab.ContainsKey(content)) nextId = Math.Max(nextId, id + 1);
            bool special = Flag(t, "special", false);
            tokens.Add(new AddedToken(id, content, special, Flag(t, "lstrip", false), Flag(t, "rstrip", false),
                Flag(t, "single_word", false), Flag(t, "normalized", !special)));
        }
        return tokens;
    }

    static bool ReadNormalizer(JsonElement root, string path)
    {
        if (!root.TryGetProperty("normalizer", out var n) || n.ValueKind == JsonValueKind.Null) return false;
        string? type = OptionalString(n, "type");
        return type == "NFC" ? true : throw Unsupported(path, "normalizer.type", type, "'NFC' or a null normalizer");
    }

    static void CheckByteLevel(JsonElement root, string field, string path, bool required)
    {
        if (!root.TryGetProperty(field, out var p) || p.ValueKind == JsonValueKind.Null)
        {
            if (required) throw Unsupported(path, field, "null", "ByteLevel");
            return;
        }
        string? type = OptionalString(p, "type");
        if (type != "ByteLevel") throw Unsupported(path, $"{field}.type", type, "'ByteLevel'");
        if (p.TryGetProperty("add_prefix_space", out var prefix) && prefix.ValueKind == JsonValueKind.True && field == "pre_tokenizer")
            throw Unsupported(path, $"{field}.add_prefix_space", "true", "false");
        if (p.TryGetProperty("use_regex", out var regex) && regex.ValueKind == JsonValueKind.False)
            throw Unsupported(path, $"{field}.use_regex", "false", "true");
    }

    static SequenceTemplate? ReadPostProcessor(JsonElement root, string path)
    {
        if (!root.TryGetProperty("post_processor", out var p) || p.ValueKind == JsonValueKind.Null) return null;
        return ReadProcessor(p, path, "post_processor");
    }

    static SequenceTemplate? ReadProcessor(JsonElement p, string path, string where)
    {
        string? type = OptionalString(p, "type");
        switch (type)
        {
            case "ByteLevel":
                return null; // only adjusts offsets
            case "TemplateProcessing":
                return TemplateJson.Read(p, path, where);
            case "BertProcessing":
                var (cls, clsId) = TokenAndId(p, "cls", path, where);
                var (sep, sepId) = TokenAndId(p, "sep", path, where);
                return SequenceTemplate.Bert(cls, clsId, sep, sepId);
            case "Sequence":
                var processors = Required(p, "processors", path, where + ".");
                var templates = processors.EnumerateArray().Select((q, i) => ReadProcessor(q, path, $"{where}.processors[{i}]"))
                    .Where(t => t is not null).ToList();
                return templates.Count <= 1 ? templates.FirstOrDefault() : throw Unsupported(path, where, "several templates", "at most one");
            default:
                throw Unsupported(path, $"{where}.type", type, "'TemplateProcessing', 'BertProcessing', 'ByteLevel' or null");
        }
    }

    static (string, int) TokenAndId(JsonElement p, string field, string path, string where)
    {
        var pair = Required(p, field, path, where + ".");
        if (pair.ValueKind != JsonValueKind.Array || pair.GetArrayLength() != 2 || pair[0].GetString() is not { } token || !pair[1].TryGetInt32(out int id))
            throw Bad(path, $"{where}.{field}", "[token, id]");
        return (token, id);
    }

    internal static JsonElement Required(JsonElement e, string field, string path, string prefix = "") =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(field, out var v) && v.ValueKind != JsonValueKind.Null
            ? v
            : throw new InvalidDataException($"{path}: missing required field '{prefix}{field}'.");

    static string? OptionalString(JsonElement e, string field) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    static bool Flag(JsonElement e, string field, bool fallback) =>
        e.TryGetProperty(field, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : fallback;

    internal static InvalidDataException Bad(string path, string field, string expected) =>
        new($"{path}: field '{field}' is malformed; expected {expected}.");

    internal static NotSupportedException Unsupported(string path, string field, string? value, string expected) =>
        new($"{path}: unsupported {field} = {value ?? "(missing)"}; this tokenizer supports {expected}.");
}
