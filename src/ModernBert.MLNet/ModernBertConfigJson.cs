using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MLNetExt.ModernBert;

/// <summary>
/// Hugging Face <c>config.json</c> for ModernBERT, both layouts: transformers 4.x (<c>global_rope_theta</c>,
/// <c>local_rope_theta</c>, <c>global_attn_every_n_layers</c>) and 5.x (<c>layer_types</c>, <c>rope_parameters</c>).
/// </summary>
public static class ModernBertConfigJson
{
    const string Full = "full_attention", Sliding = "sliding_attention";

    public static ModernBertConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"ModernBERT config file not found: {path}", path);
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>
    /// Reads a config; missing fields take Hugging Face's defaults. Throws naming <paramref name="source"/> (where the
    /// JSON came from) and the field on bad values: <see cref="InvalidDataException"/> for malformed JSON,
    /// <see cref="ArgumentException"/> for a bad field.
    /// </summary>
    public static ModernBertConfig Parse(string json, string source = "config.json")
    {
        try { return FromObject(JsonNode.Parse(json) as JsonObject ?? throw new InvalidDataException($"{source} must hold a JSON object.")); }
        catch (JsonException e) { throw new InvalidDataException($"{source} is not valid JSON: {e.Message}", e); }
        catch (ArgumentException e) { throw new ArgumentException($"{source}: {e.Message}", e); }
    }

    static ModernBertConfig FromObject(JsonObject o)
    {
        string modelType = Str(o, "model_type", "");
        if (modelType != "modernbert")
            throw new ArgumentException($"ModernBERT config field 'model_type': expected \"modernbert\", got \"{modelType}\".", "model_type");
        var d = new ModernBertConfig();
        var c = d with
        {
            VocabSize = Int(o, "vocab_size", d.VocabSize),
            HiddenSize = Int(o, "hidden_size", d.HiddenSize),
            IntermediateSize = Int(o, "intermediate_size", d.IntermediateSize),
            NumHiddenLayers = Int(o, "num_hidden_layers", d.NumHiddenLayers),
            NumAttentionHeads = Int(o, "num_attention_heads", d.NumAttentionHeads),
            MaxPositionEmbeddings = Int(o, "max_position_embeddings", d.MaxPositionEmbeddings),
            GlobalAttnEveryNLayers = Int(o, "global_attn_every_n_layers", d.GlobalAttnEveryNLayers),
            LocalAttention = Int(o, "local_attention", d.LocalAttention),
            GlobalRopeTheta = Num(o, "global_rope_theta", d.GlobalRopeTheta),
            LocalRopeTheta = Num(o, "local_rope_theta", d.LocalRopeTheta),
            NormEps = Num(o, "norm_eps", d.NormEps),
            NormBias = Bool(o, "norm_bias", d.NormBias),
            AttentionBias = Bool(o, "attention_bias", d.AttentionBias),
            MlpBias = Bool(o, "mlp_bias", d.MlpBias),
            DecoderBias = Bool(o, "decoder_bias", d.DecoderBias),
            ClassifierBias = Bool(o, "classifier_bias", d.ClassifierBias),
            HiddenActivation = Str(o, "hidden_activation", d.HiddenActivation),
            ClassifierActivation = Str(o, "classifier_activation", d.ClassifierActivation),
            // HF's constructor default is "cls"; published checkpoints state it explicitly.
            ClassifierPooling = Str(o, "classifier_pooling", d.ClassifierPooling),
            EmbeddingDropout = Num(o, "embedding_dropout", d.EmbeddingDropout),
            AttentionDropout = Num(o, "attention_dropout", d.AttentionDropout),
            MlpDropout = Num(o, "mlp_dropout", d.MlpDropout),
            ClassifierDropout = Num(o, "classifier_dropout", d.ClassifierDropout),
            InitializerRange = Num(o, "initializer_range", d.InitializerRange),
            InitializerCutoffFactor = Num(o, "initializer_cutoff_factor", d.InitializerCutoffFactor),
            PadTokenId = Int(o, "pad_token_id", d.PadTokenId),
            BosTokenId = Int(o, "bos_token_id", d.BosTokenId),
            EosTokenId = Int(o, "eos_token_id", d.EosTokenId),
            ClsTokenId = Int(o, "cls_token_id", d.ClsTokenId),
            SepTokenId = Int(o, "sep_token_id", d.SepTokenId),
            SparsePredIgnoreIndex = Int(o, "sparse_pred_ignore_index", d.SparsePredIgnoreIndex),
            NumLabels = o["id2label"] is JsonObject labels ? labels.Count : Int(o, "num_labels", d.NumLabels),
            ProblemType = o["problem_type"] is JsonValue ? Str(o, "problem_type", "") : null,
        };
        if (o["layer_types"] is JsonNode types) c = c with { LayerTypes = ParseLayerTypes(types) };
        if (o["rope_parameters"] is JsonNode rope)
            c = c with { GlobalRopeTheta = RopeTheta(rope, Full, c.GlobalRopeTheta), LocalRopeTheta = RopeTheta(rope, Sliding, c.LocalRopeTheta) };
        return c.Validate();
    }

    /// <summary>
    /// Writes a config every transformers version loads: the 4.x fields plus <c>layer_types</c> and <c>rope_parameters</c>;
    /// <paramref name="architecture"/> is the HF class name (e.g. ModernBertForMaskedLM), <paramref name="torchDtype"/> the weights' dtype.
    /// </summary>
    public static string ToJson(ModernBertConfig config, string architecture, string torchDtype = "float32")
    {
        config.Validate();
        var layerTypes = new JsonArray(Enumerable.Range(0, config.NumHiddenLayers)
            .Select(i => (JsonNode)JsonValue.Create(config.LayerType(i) == AttentionKind.Global ? Full : Sliding)).ToArray());
        var o = new JsonObject
        {
            ["architectures"] = new JsonArray(architecture),
            ["model_type"] = "modernbert",
            ["vocab_size"] = config.VocabSize,
            ["hidden_size"] = config.HiddenSize,
            ["intermediate_size"] = config.IntermediateSize,
            ["num_hidden_layers"] = config.NumHiddenLayers,
            ["num_attention_heads"] = config.NumAttentionHeads,
            ["max_position_embeddings"] = config.MaxPositionEmbeddings,
            ["hidden_activation"] = config.HiddenActivation,
            ["global_attn_every_n_layers"] = config.GlobalAttnEveryNLayers,
            ["local_attention"] = config.LocalAttention,
            ["global_rope_theta"] = config.GlobalRopeTheta,
            ["local_rope_theta"] = config.LocalRopeTheta,
            ["layer_types"] = layerTypes,
            ["rope_parameters"] = new JsonObject
            {
                [Full] = new JsonObject { ["rope_type"] = "default", ["rope_theta"] = config.GlobalRopeTheta },
                [Sliding] = new JsonObject { ["rope_type"] = "default", ["rope_theta"] = config.LocalRopeTheta },
            },
            ["norm_eps"] = config.NormEps,
            ["layer_norm_eps"] = config.NormEps,
            ["norm_bias"] = config.NormBias,
            ["attention_bias"] = config.AttentionBias,
            ["mlp_bias"] = config.MlpBias,
            ["decoder_bias"] = config.DecoderBias,
            ["classifier_bias"] = config.ClassifierBias,
            ["classifier_activation"] = config.ClassifierActivation,
            ["classifier_pooling"] = config.ClassifierPooling,
            ["embedding_dropout"] = config.EmbeddingDropout,
            ["attention_dropout"] = config.AttentionDropout,
            ["mlp_dropout"] = config.MlpDropout,
            ["classifier_dropout"] = config.ClassifierDropout,
            ["initializer_range"] = config.InitializerRange,
            ["initializer_cutoff_factor"] = config.InitializerCutoffFactor,
            ["pad_token_id"] = config.PadTokenId,
            ["bos_token_id"] = config.BosTokenId,
            ["eos_token_id"] = config.EosTokenId,
            ["cls_token_id"] = config.ClsTokenId,
            ["sep_token_id"] = config.SepTokenId,
            ["sparse_pred_ignore_index"] = config.SparsePredIgnoreIndex,
            ["tie_word_embeddings"] = true,
            ["id2label"] = new JsonObject(Enumerable.Range(0, config.NumLabels)
                .Select(i => KeyValuePair.Create(i.ToString(CultureInfo.InvariantCulture), (JsonNode?)JsonValue.Create($"LABEL_{i}")))),
            ["label2id"] = new JsonObject(Enumerable.Range(0, config.NumLabels)
                .Select(i => KeyValuePair.Create($"LABEL_{i}", (JsonNode?)JsonValue.Create(i)))),
            ["torch_dtype"] = torchDtype,
        };
        if (config.ProblemType is not null) o["problem_type"] = config.ProblemType;
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    static ImmutableArray<AttentionKind> ParseLayerTypes(JsonNode node)
    {
        if (node is not JsonArray a) throw Bad("layer_types", "expected an array of \"full_attention\" / \"sliding_attention\".");
        return [.. a.Select((t, i) => (t as JsonValue)?.TryGetValue(out string? s) == true ? s switch
        {
            Full => AttentionKind.Global,
            Sliding => AttentionKind.Local,
            _ => throw Bad("layer_types", $"entry {i} is \"{s}\"; expected \"{Full}\" or \"{Sliding}\"."),
        } : throw Bad("layer_types", $"entry {i} is not a string."))];
    }

    static double RopeTheta(JsonNode rope, string kind, double fallback)
    {
        if (rope is not JsonObject r) throw Bad("rope_parameters", "expected an object keyed by attention type.");
        if (r[kind] is not JsonObject p) return fallback;
        string type = p["rope_type"] is JsonValue t && t.TryGetValue(out string? s) ? s : "default";
        if (type != "default") throw Bad($"rope_parameters.{kind}.rope_type", $"only \"default\" rotary embeddings are supported, got \"{type}\".");
        return Num(p, "rope_theta", fallback, $"rope_parameters.{kind}.");
    }

    static int Int(JsonObject o, string field, int fallback) =>
        o[field] is not JsonValue v ? fallback
        : v.TryGetValue(out int i) ? i
        : v.TryGetValue(out double x) && x == Math.Floor(x) && Math.Abs(x) < int.MaxValue ? (int)x
        : throw Bad(field, $"expected an integer, got {v.ToJsonString()}.");

    static double Num(JsonObject o, string field, double fallback, string prefix = "") =>
        o[field] is not JsonValue v ? fallback
        : v.TryGetValue(out double x) ? x
        : throw Bad(prefix + field, $"expected a number, got {v.ToJsonString()}.");

    static bool Bool(JsonObject o, string field, bool fallback) =>
        o[field] is not JsonValue v ? fallback
        : v.TryGetValue(out bool b) ? b
        : throw Bad(field, $"expected true or false, got {v.ToJsonString()}.");

    static string Str(JsonObject o, string field, string fallback) =>
        o[field] is not JsonValue v ? fallback
        : v.TryGetValue(out string? s) ? s
        : throw Bad(field, $"expected a string, got {v.ToJsonString()}.");

    static ArgumentException Bad(string field, string message) => new($"ModernBERT config field '{field}': {message}", field);
}
