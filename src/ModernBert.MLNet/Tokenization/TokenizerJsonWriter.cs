using System.Text.Encodings.Web;
using System.Text.Json;

namespace MLNetExt.ModernBert.Tokenization;

/// <summary>Writes a <see cref="TokenizerDefinition"/> as a Hugging Face <c>tokenizer.json</c> (byte-level BPE).</summary>
internal static class TokenizerJsonWriter
{
    public static void Write(TokenizerDefinition definition, string path)
    {
        if (definition.Template is null) throw new InvalidOperationException($"Cannot save {path}: the tokenizer has no post-processor template.");
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        using var stream = File.Create(path);
        // Relaxed escaping keeps non-ASCII vocabulary readable, as Hugging Face writes it.
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        w.WriteStartObject();
        w.WriteString("version", "1.0");
        w.WriteNull("truncation");
        w.WriteNull("padding");

        // Hugging Face numbers added tokens in file order, so write them by id.
        w.WriteStartArray("added_tokens");
        foreach (var t in definition.AddedTokens.OrderBy(t => t.Id))
        {
            w.WriteStartObject();
            w.WriteNumber("id", t.Id);
            w.WriteString("content", t.Content);
            w.WriteBoolean("single_word", t.SingleWord);
            w.WriteBoolean("lstrip", t.LStrip);
            w.WriteBoolean("rstrip", t.RStrip);
            w.WriteBoolean("normalized", t.Normalized);
            w.WriteBoolean("special", t.Special);
            w.WriteEndObject();
        }
        w.WriteEndArray();

        if (definition.Nfc)
        {
            w.WriteStartObject("normalizer");
            w.WriteString("type", "NFC");
            w.WriteEndObject();
        }
        else w.WriteNull("normalizer");
        WriteByteLevel(w, "pre_tokenizer");
        w.WritePropertyName("post_processor");
        TemplateJson.Write(w, definition.Template, definition.AddedTokens.ToDictionary(t => t.Id, t => t.Content));
        WriteByteLevel(w, "decoder");

        w.WriteStartObject("model");
        w.WriteString("type", "BPE");
        w.WriteNull("dropout");
        w.WriteNull("unk_token");
        w.WriteNull("continuing_subword_prefix");
        w.WriteNull("end_of_word_suffix");
        w.WriteBoolean("fuse_unk", false);
        w.WriteBoolean("byte_fallback", false);
        w.WriteBoolean("ignore_merges", false);
        w.WriteStartObject("vocab");
        foreach (var (token, id) in definition.Vocab.OrderBy(kv => kv.Value)) w.WriteNumber(token, id);
        w.WriteEndObject();
        w.WriteStartArray("merges");
        foreach (var (left, right) in definition.Merges)
        {
            w.WriteStartArray();
            w.WriteStringValue(left);
            w.WriteStringValue(right);
            w.WriteEndArray();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    static void WriteByteLevel(Utf8JsonWriter w, string name)
    {
        w.WriteStartObject(name);
        w.WriteString("type", "ByteLevel");
        w.WriteBoolean("add_prefix_space", false);
        w.WriteBoolean("trim_offsets", true);
        w.WriteBoolean("use_regex", true);
        w.WriteEndObject();
    }
}
