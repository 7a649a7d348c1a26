using System.Text.Json;
using System.Text.Json.Nodes;

namespace MLNetExt.Blt;

/// <summary>
/// Reads and writes HF's <c>BltConfig</c> config.json: snake_case keys, four sub-config objects, RoPE base under
/// <c>rope_parameters.rope_theta</c> (older files: top-level <c>rope_theta</c>). Missing keys take HF's defaults.
/// Our <see cref="PatchingMode.MonotonicEntropy"/> is HF's <c>patching_mode: "entropy"</c> with <c>monotonicity: true</c>;
/// <c>sliding_window</c> on encoder/decoder is our extension (absent = whole document).
/// </summary>
public static class BltConfigJson
{
    /// <summary>Reads and validates a config.json; any problem is an <see cref="InvalidDataException"/> naming the file and the key.</summary>
    public static BltConfig Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"BLT config file not found: {path}", path);
        JsonNode? root;
        try { root = JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new InvalidDataException($"{path} is not valid JSON: {e.Message}", e); }
        return Parse(root as JsonObject ?? throw new InvalidDataException($"{path}: config.json must hold a JSON object."), path);
    }

    /// <summary>
    /// <see cref="FromJson"/>, then <see cref="BltConfig.Validate"/>; errors become <see cref="InvalidDataException"/>
    /// naming <paramref name="source"/> (a file, or a model zip's entry).
    /// </summary>
    internal static BltConfig Parse(JsonObject o, string source)
    {
        try
        {
            var config = FromJson(o);
            config.Validate();
            return config;
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or JsonException or ArgumentException)
        {
            throw new InvalidDataException($"{source}: {e.Message}", e);
        }
    }

    public static void Write(BltConfig config, string path) =>
        File.WriteAllText(path, ToJson(config).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

    public static BltConfig FromJson(JsonObject o)
    {
        string mode = Get(o, "patching_mode", "entropy");
        bool monotonic = Get(o, "monotonicity", false);
        var d = new BltConfig();
        var config = new BltConfig
        {
            VocabSize = Get(o, "vocab_size", d.VocabSize),
            MaxPositionEmbeddings = Get(o, "max_position_embeddings", d.MaxPositionEmbeddings),
            PatchInForward = Get(o, "patch_in_forward", d.PatchInForward),
            PatchSize = Get(o, "patch_size", d.PatchSize),
            PatchingMode = mode switch
            {
                "entropy" => monotonic ? PatchingMode.MonotonicEntropy : PatchingMode.Entropy,
                "space" => PatchingMode.Space,
                "static" => PatchingMode.Static,
                _ => throw new InvalidOperationException($"patching_mode \"{mode}\" is not supported (expected entropy, space or static)."),
            },
            PatchingThreshold = Get(o, "patching_threshold", d.PatchingThreshold),
            MaxPatchLength = Get<int?>(o, "max_patch_length", null),
            CrossAttnK = Get(o, "cross_attn_k", d.CrossAttnK),
            EncoderHashByteGroupSize = Get(o, "encoder_hash_byte_group_size", (int[]?)null) ?? d.EncoderHashByteGroupSize,
            EncoderHashByteGroupVocab = Get(o, "encoder_hash_byte_group_vocab", d.EncoderHashByteGroupVocab),
            EncoderHashByteGroupNbFunctions = Get(o, "encoder_hash_byte_group_nb_functions", d.EncoderHashByteGroupNbFunctions),
        };
        var p = Sub(o, "patcher_config"); var pd = new BltPatcherConfig();
        var e = Sub(o, "encoder_config"); var ed = new BltLocalEncoderConfig();
        var c = Sub(o, "decoder_config"); var cd = new BltLocalDecoderConfig();
        var g = Sub(o, "global_config"); var gd = new BltGlobalTransformerConfig();
        return config with
        {
            PatcherConfig = new BltPatcherConfig(Get(p, "vocab_size", pd.VocabSize), Get(p, "hidden_size", pd.HiddenSize), Get(p, "num_hidden_layers", pd.NumHiddenLayers),
                Get(p, "num_attention_heads", pd.NumAttentionHeads), Get<int?>(p, "num_key_value_heads", null), Get(p, "max_position_embeddings", pd.MaxPositionEmbeddings),
                Get(p, "rms_norm_eps", pd.RmsNormEps), Get(p, "intermediate_size", pd.IntermediateSize), Theta(p, pd.RopeTheta)),
            EncoderConfig = new BltLocalEncoderConfig(Get(e, "vocab_size", ed.VocabSize), Get(e, "cross_attn_all_layers", ed.CrossAttnAllLayers), Get(e, "cross_attn_k", ed.CrossAttnK),
                Get(e, "hidden_size_global", ed.HiddenSizeGlobal), Get(e, "hidden_size", ed.HiddenSize), Get(e, "num_attention_heads", ed.NumAttentionHeads),
                Get<int?>(e, "num_key_value_heads", null), Get(e, "num_hidden_layers", ed.NumHiddenLayers), Get(e, "rms_norm_eps", ed.RmsNormEps),
                Get(e, "max_position_embeddings", ed.MaxPositionEmbeddings), Get(e, "intermediate_size", ed.IntermediateSize), Theta(e, ed.RopeTheta), Get<int?>(e, "sliding_window", null)),
            DecoderConfig = new BltLocalDecoderConfig(Get(c, "vocab_size", cd.VocabSize), Get(c, "cross_attn_all_layers", cd.CrossAttnAllLayers), Get(c, "cross_attn_k", cd.CrossAttnK),
                Get(c, "hidden_size_global", cd.HiddenSizeGlobal), Get(c, "hidden_size", cd.HiddenSize), Get(c, "num_attention_heads", cd.NumAttentionHeads),
                Get<int?>(c, "num_key_value_heads", null), Get(c, "num_hidden_layers", cd.NumHiddenLayers), Get(c, "rms_norm_eps", cd.RmsNormEps),
                Get(c, "max_position_embeddings", cd.MaxPositionEmbeddings), Get(c, "intermediate_size", cd.IntermediateSize), Theta(c, cd.RopeTheta), Get<int?>(c, "sliding_window", null)),
            GlobalConfig = new BltGlobalTransformerConfig(Get(g, "hidden_size", gd.HiddenSize), Get(g, "num_attention_heads", gd.NumAttentionHeads), Get<int?>(g, "num_key_value_heads", null),
                Get(g, "num_hidden_layers", gd.NumHiddenLayers), Get(g, "rms_norm_eps", gd.RmsNormEps), Get(g, "max_position_embeddings", gd.MaxPositionEmbeddings),
                Get(g, "intermediate_size", gd.IntermediateSize), Theta(g, gd.RopeTheta)),
        };
    }

    public static JsonObject ToJson(BltConfig c) => new()
    {
        ["model_type"] = "blt",
        ["architectures"] = new JsonArray("BltForCausalLM"),
        ["vocab_size"] = c.VocabSize,
        ["max_position_embeddings"] = c.MaxPositionEmbeddings,
        ["patch_in_forward"] = c.PatchInForward,
        ["patch_size"] = c.PatchSize,
        ["patching_mode"] = c.PatchingMode switch { PatchingMode.Space => "space", PatchingMode.Static => "static", _ => "entropy" },
        ["monotonicity"] = c.PatchingMode == PatchingMode.MonotonicEntropy,
        ["patching_threshold"] = c.PatchingThreshold,
        ["max_patch_length"] = c.MaxPatchLength,
        ["cross_attn_k"] = c.CrossAttnK,
        ["encoder_hash_byte_group_size"] = new JsonArray(c.EncoderHashByteGroupSize.Select(n => (JsonNode)n).ToArray()),
        ["encoder_hash_byte_group_vocab"] = c.EncoderHashByteGroupVocab,
        ["encoder_hash_byte_group_nb_functions"] = c.EncoderHashByteGroupNbFunctions,
        ["tie_word_embeddings"] = false,
        ["patcher_config"] = Layered(c.PatcherConfig.Layer, c.PatcherConfig.NumHiddenLayers, c.PatcherConfig.MaxPositionEmbeddings, c.PatcherConfig.VocabSize),
        ["encoder_config"] = Local(Layered(c.EncoderConfig.Layer, c.EncoderConfig.NumHiddenLayers, c.EncoderConfig.MaxPositionEmbeddings, c.EncoderConfig.VocabSize),
            c.EncoderConfig.CrossAttnAllLayers, c.EncoderConfig.CrossAttnK, c.EncoderConfig.HiddenSizeGlobal, c.EncoderConfig.SlidingWindow),
        ["decoder_config"] = Local(Layered(c.DecoderConfig.Layer, c.DecoderConfig.NumHiddenLayers, c.DecoderConfig.MaxPositionEmbeddings, c.DecoderConfig.VocabSize),
            c.DecoderConfig.CrossAttnAllLayers, c.DecoderConfig.CrossAttnK, c.DecoderConfig.HiddenSizeGlobal, c.DecoderConfig.SlidingWindow),
        ["global_config"] = Layered(c.GlobalConfig.Layer, c.GlobalConfig.NumHiddenLayers, c.GlobalConfig.MaxPositionEmbeddings, null),
    };

    static JsonObject Layered(LayerShape l, int layers, int maxPositions, int? vocab)
    {
        var o = new JsonObject();
        if (vocab is int v) o["vocab_size"] = v;
        o["hidden_size"] = l.HiddenSize;
        o["num_attention_heads"] = l.NumAttentionHeads;
        o["num_key_value_heads"] = l.NumKeyValueHeads;
        o["num_hidden_layers"] = layers;
        o["intermediate_size"] = l.IntermediateSize;
        o["rms_norm_eps"] = l.RmsNormEps;
        o["max_position_embeddings"] = maxPositions;
        o["hidden_act"] = "silu";
        o["rope_parameters"] = new JsonObject { ["rope_theta"] = l.RopeTheta, ["rope_type"] = "default" };
        return o;
    }

    static JsonObject Local(JsonObject o, bool allLayers, int k, int globalSize, int? window)
    {
        o["cross_attn_all_layers"] = allLayers;
        o["cross_attn_k"] = k;
        o["hidden_size_global"] = globalSize;
        if (window is int w) o["sliding_window"] = w;
        return o;
    }

    static JsonObject Sub(JsonObject o, string key) => o[key] switch
    {
        null => new JsonObject(),
        JsonObject s => s,
        _ => throw new InvalidOperationException($"\"{key}\" must be a JSON object."),
    };

    static double Theta(JsonObject o, double fallback) =>
        o["rope_parameters"] is JsonObject r && r["rope_theta"] is not null ? Get(r, "rope_theta", fallback) : Get(o, "rope_theta", fallback);

    static T Get<T>(JsonObject o, string key, T fallback)
    {
        if (o[key] is not JsonNode node) return fallback;
        try { return node.Deserialize<T>()!; }
        catch (JsonException e) { throw new InvalidOperationException($"\"{node.GetPath().TrimStart('$', '.')}\" holds {node.ToJsonString()}, expected {typeof(T).Name}.", e); }
    }
}
