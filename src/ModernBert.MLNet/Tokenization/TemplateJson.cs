using System.Text.Json;

namespace MLNetExt.ModernBert.Tokenization;

/// <summary>Reads and writes Hugging Face's <c>TemplateProcessing</c> post-processor JSON.</summary>
internal static class TemplateJson
{
    public static SequenceTemplate Read(JsonElement p, string path, string where)
    {
        var specials = new Dictionary<string, int[]>(StringComparer.Ordinal);
        if (p.TryGetProperty("special_tokens", out var map) && map.ValueKind == JsonValueKind.Object)
        {
            foreach (var entry in map.EnumerateObject())
            {
                var ids = TokenizerJsonReader.Required(entry.Value, "ids", path, $"{where}.special_tokens.{entry.Name}.");
                specials[entry.Name] = ids.EnumerateArray().Select(i => i.GetInt32()).ToArray();
            }
        }
        var single = Pieces(p, "single", specials, path, where);
        var pair = Pieces(p, "pair", specials, path, where);
        if (single.Count(x => x.Sequence == "A") != 1 || single.Any(x => x.Sequence == "B"))
            throw TokenizerJsonReader.Bad(path, $"{where}.single", "a template with $A once and no $B");
        if (pair.Count(x => x.Sequence == "A") != 1 || pair.Count(x => x.Sequence == "B") != 1)
            throw TokenizerJsonReader.Bad(path, $"{where}.pair", "a template with $A and $B once each");
        return new SequenceTemplate(single, pair);
    }

    static List<TemplatePiece> Pieces(JsonElement p, string field, Dictionary<string, int[]> specials, string path, string where)
    {
        var array = TokenizerJsonReader.Required(p, field, path, where + ".");
        var pieces = new List<TemplatePiece>();
        foreach (var item in array.EnumerateArray())
        {
            if (item.TryGetProperty("Sequence", out var seq))
            {
                string id = seq.GetProperty("id").GetString() ?? "";
                if (id is not ("A" or "B")) throw TokenizerJsonReader.Bad(path, $"{where}.{field}", "sequences named A or B");
                pieces.Add(TemplatePiece.Of(id, TypeId(seq)));
            }
            else if (item.TryGetProperty("SpecialToken", out var special))
            {
                string name = special.GetProperty("id").GetString() ?? "";
                if (!specials.TryGetValue(name, out var ids))
                    throw new InvalidDataException($"{path}: {where}.{field} uses special token '{name}', which {where}.special_tokens does not define.");
                pieces.Add(new TemplatePiece(null, name, ids, TypeId(special)));
            }
            else throw TokenizerJsonReader.Bad(path, $"{where}.{field}", "items {\"Sequence\": ...} or {\"SpecialToken\": ...}");
        }
        return pieces;
    }

    static int TypeId(JsonElement e) => e.TryGetProperty("type_id", out var t) && t.TryGetInt32(out int v) ? v : 0;

    public static void Write(Utf8JsonWriter w, SequenceTemplate template, IReadOnlyDictionary<int, string> idToContent)
    {
        w.WriteStartObject();
        w.WriteString("type", "TemplateProcessing");
        WritePieces(w, "single", template.Single);
        WritePieces(w, "pair", template.Pair);
        w.WriteStartObject("special_tokens");
        foreach (var piece in template.Pair.Concat(template.Single).Where(x => x.SpecialToken is not null).DistinctBy(x => x.SpecialToken))
        {
            w.WriteStartObject(piece.SpecialToken!);
            w.WriteString("id", piece.SpecialToken);
            w.WriteStartArray("ids");
            foreach (int id in piece.SpecialIds) w.WriteNumberValue(id);
            w.WriteEndArray();
            w.WriteStartArray("tokens");
            foreach (int id in piece.SpecialIds) w.WriteStringValue(idToContent.TryGetValue(id, out var s) ? s : piece.SpecialToken);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteEndObject();
    }

    static void WritePieces(Utf8JsonWriter w, string name, IReadOnlyList<TemplatePiece> pieces)
    {
        w.WriteStartArray(name);
        foreach (var piece in pieces)
        {
            w.WriteStartObject();
            w.WriteStartObject(piece.Sequence is null ? "SpecialToken" : "Sequence");
            w.WriteString("id", piece.Sequence ?? piece.SpecialToken);
            w.WriteNumber("type_id", piece.TypeId);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}
