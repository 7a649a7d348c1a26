using System.Text;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using Microsoft.ML.Data;
using MLNetExt.ModernBert.Tokenization;
using MLNetExt.Training.MLNet;
using MLNetExt.Training.Packing;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.ModernBert.MLNet;

/// <summary>One row as the model sees it: <c>[CLS] text [SEP]</c> (or a pair) ids, and whether truncation cut tokens.</summary>
public sealed record TokenizedRow(long[] Ids, bool Truncated);

/// <summary>
/// A text split into words for token classification: <c>[CLS] word-1 ... word-n [SEP]</c> ids, where each word's first
/// token is at <see cref="WordStarts"/>. Words past the length limit are cut: <see cref="WordStarts"/> is then
/// shorter than <see cref="Words"/>.
/// </summary>
public sealed record TokenizedWords(long[] Ids, int[] WordStarts, int Words, bool Truncated);

/// <summary>
/// What every ModernBERT transformer shares: the model's config, its tokenizer, the maximum sequence length and
/// whether scoring runs in bf16. Turns rows into ids, batches of ids into one packed forward, and saves itself as
/// <c>Config.json</c> (Hugging Face's config.json) and <c>Tokenizer.json</c> (Hugging Face's tokenizer.json).
/// </summary>
public sealed class ModernBertEncoder
{
    const string TokenizerStream = "Tokenizer.json";
    long _truncatedRows;

    public ModernBertConfig Config { get; }
    public ModernBertTokenizer Tokenizer { get; }
    /// <summary>Tokens per row including [CLS]/[SEP]; longer rows are cut (see <see cref="TruncatedRows"/>).</summary>
    public int MaxLength { get; }
    /// <summary>
    /// Score with bf16 weights and activations (about 4x faster matrix products on CPUs with bf16 support). bf16
    /// keeps 8 bits of mantissa, so scores differ from fp32 by about 1e-2 relative; argmax predictions rarely change.
    /// </summary>
    public bool BFloat16 { get; }
    /// <summary>Rows cut to <see cref="MaxLength"/> so far (training and scoring).</summary>
    public long TruncatedRows => Interlocked.Read(ref _truncatedRows);

    public ModernBertEncoder(ModernBertConfig config, ModernBertTokenizer tokenizer, int maxLength, bool bfloat16)
    {
        if (maxLength < 2) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "MaxLength must leave room for [CLS] and [SEP].");
        if (tokenizer.VocabSize > config.VocabSize)
            throw new ArgumentException($"The tokenizer has {tokenizer.VocabSize} ids but the model's vocab_size is {config.VocabSize}.", nameof(tokenizer));
        (Config, Tokenizer, BFloat16) = (config, tokenizer, bfloat16);
        MaxLength = Math.Min(maxLength, config.MaxPositionEmbeddings);
    }

    ScalarType DType => BFloat16 ? ScalarType.BFloat16 : ScalarType.Float32;

    /// <summary>Reads the current row's text (and second text) as model input; null and empty text give <c>[CLS] [SEP]</c>.</summary>
    public Func<TokenizedRow> Reader(DataViewRow row, string text, string? pair = null)
    {
        var first = row.GetGetter<ReadOnlyMemory<char>>(row.Schema[text]);
        var second = pair is null ? null : row.GetGetter<ReadOnlyMemory<char>>(row.Schema[pair]);
        ReadOnlyMemory<char> a = default, b = default;
        return () =>
        {
            first(ref a);
            if (second is null) return Encode(a.ToString(), null);
            second(ref b);
            return Encode(a.ToString(), b.ToString());
        };
    }

    public TokenizedRow Encode(string? text, string? pair)
    {
        var encoded = pair is null ? Tokenizer.Encode(text, MaxLength) : Tokenizer.EncodePair(text, pair, MaxLength);
        if (encoded.Truncated) Interlocked.Increment(ref _truncatedRows);
        return new TokenizedRow(Array.ConvertAll(encoded.Ids, id => (long)id), encoded.Truncated);
    }

    /// <summary>
    /// Words are whitespace-separated; each is tokenized on its own (with the leading space byte-level BPE expects
    /// after the first), so a word's tokens never straddle two words. Words that don't fit are cut whole; past the
    /// first of them, words are only counted, so a huge text costs a scan, not its tokenization.
    /// </summary>
    public TokenizedWords EncodeWords(string? text)
    {
        text ??= "";
        var ids = new List<long> { Tokenizer.ClsId };
        var starts = new List<int>();
        int words = 0;
        bool truncated = false;
        for (int start = 0, end; start < text.Length; start = end)
        {
            while (start < text.Length && char.IsWhiteSpace(text[start])) start++;
            for (end = start; end < text.Length && !char.IsWhiteSpace(text[end]); end++) { }
            if (end == start) break;
            words++;
            if (truncated) continue;
            int room = MaxLength - 1 - ids.Count; // before [SEP]
            string word = text[start..end];
            var piece = Tokenizer.EncodeContent(words == 1 ? word : " " + word, room).Ids;
            if (piece.Count > room) { truncated = true; continue; }
            starts.Add(ids.Count);
            ids.AddRange(piece.Select(id => (long)id));
        }
        ids.Add(Tokenizer.SepId);
        if (truncated) Interlocked.Increment(ref _truncatedRows);
        return new TokenizedWords([.. ids], [.. starts], words, truncated);
    }

    /// <summary>The input columns: <paramref name="text"/> and, when given, <paramref name="pair"/>, both String.</summary>
    public static ColumnRequirement[] TextColumns(string text, string? pair) =>
        pair is null ? [ColumnRequirement.Text(text)] : [ColumnRequirement.Text(text), ColumnRequirement.Text(pair)];

    /// <summary>Puts <paramref name="model"/> in eval mode in the scoring precision, on the CPU.</summary>
    public TModel Prepare<TModel>(TModel model) where TModel : nn.Module
    {
        model.eval();
        model.to(DType);
        return model;
    }

    /// <summary>One packed forward over <paramref name="sequences"/>; returns <paramref name="forward"/>'s output as float32 on the CPU.</summary>
    public Tensor Forward(IReadOnlyList<long[]> sequences, Func<PackedInput, Tensor> forward)
    {
        using var noGrad = no_grad();
        using var input = PackedInput.Create(PackedBatch.FromSequences(sequences), Config);
        return forward(input).to(ScalarType.Float32).cpu();
    }

    /// <summary>A [B, W] float32 CPU tensor as B rows.</summary>
    public static float[][] Rows(Tensor matrix)
    {
        int count = (int)matrix.shape[0], width = (int)matrix.shape[1];
        var flat = matrix.data<float>().ToArray();
        return Enumerable.Range(0, count).Select(r => flat.AsSpan(r * width, width).ToArray()).ToArray();
    }

    /// <summary>Writes config, tokenizer and <paramref name="model"/>'s weights (in the scoring precision).</summary>
    public void Save(SavedModelWriter writer, nn.Module model, string architecture)
    {
        writer.WriteBytes(SavedModel.ConfigStream, Encoding.UTF8.GetBytes(ModernBertConfigJson.ToJson(Config, architecture)));
        writer.WriteBytes(TokenizerStream, TokenizerBytes(Tokenizer));
        writer.WriteWeights(model);
    }

    /// <summary>
    /// Reads what <see cref="Save"/> wrote; <paramref name="create"/> builds the module from the config, once the
    /// weights' header has been checked against the config's size, before its weights load.
    /// </summary>
    public static (ModernBertEncoder Encoder, TModel Model) Load<TModel>(SavedModelReader reader, int maxLength, bool bfloat16, Func<ModernBertConfig, TModel> create)
        where TModel : nn.Module
    {
        var config = ModernBertConfigJson.Parse(Encoding.UTF8.GetString(reader.ReadBytes(SavedModel.ConfigStream)), reader.Describe(SavedModel.ConfigStream));
        var tokenizer = ModernBertTokenizer.FromBytes(reader.ReadBytes(TokenizerStream), reader.Describe(TokenizerStream));
        var encoder = new ModernBertEncoder(config, tokenizer, maxLength, bfloat16);
        var model = reader.ReadWeights(config.EncoderParameterCount(), () => encoder.Prepare(create(config)));
        return (encoder, model);
    }

    // The tokenizer writes Hugging Face files; a temporary one carries it into the zip.
    static byte[] TokenizerBytes(ModernBertTokenizer tokenizer)
    {
        string path = Path.GetTempFileName();
        try { tokenizer.Save(path); return File.ReadAllBytes(path); }
        finally { File.Delete(path); }
    }

    /// <summary>A log line when a batch had rows cut to <see cref="MaxLength"/>.</summary>
    internal void ReportTruncation(IHost host, int rows)
    {
        if (rows == 0) return;
        using var channel = host.Start("Scoring");
        channel.Info($"{rows} row(s) of this batch were truncated to {MaxLength} tokens ({TruncatedRows} so far).");
    }
}
