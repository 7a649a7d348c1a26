using System.Globalization;
using System.Text.Json.Nodes;
using MLNetExt.ModernBert.Tokenization;
using MLNetExt.Training.Data;

namespace MLNetExt.GpuRunner;

/// <summary>
/// The "spam-lengths" command, run HERE (the GPU machine has no network): the ModernBERT-base token count of every
/// SpamAssassin email ([CLS] text [SEP]; GPT-NeoX BPE, which ModernBERT-base uses, with its special ids; capped at 8192), one per line, in
/// corpus order. P7 and P8 draw their sequence lengths from this file. Options: --tokenizer (tokenizer.json, required),
/// --lengths (file to write, default tools/gpu/spam-lengths.txt).
/// </summary>
public static class SpamLengths
{
    public const string DefaultFile = "tools/gpu/spam-lengths.txt";
    public const int MaxLength = 8192;

    public static int Run(RunnerArgs args)
    {
        string tokenizerPath = args.Text("tokenizer", "");
        if (tokenizerPath.Length == 0) throw new ArgumentException("spam-lengths needs --tokenizer <shared/tokenizers/gpt-neox-20b/tokenizer.json>");
        string file = args.Text("lengths", DefaultFile);
        var tokenizer = ModernBertTokenizer.Load(tokenizerPath, SpecialTokenIds.ModernBert with { Unk = null });
        var lengths = SpamAssassin.Load().Select(e => Math.Min(tokenizer.EncodeWithoutSpecialTokens(e.Text).Length + 2, MaxLength)).ToArray();
        File.WriteAllLines(file, lengths.Select(l => l.ToString(CultureInfo.InvariantCulture)));
        Console.WriteLine(new JsonObject
        {
            ["file"] = file,
            ["sequences"] = lengths.Length,
            ["tokens"] = lengths.Sum(l => (long)l),
            ["mean"] = Math.Round(lengths.Average(), 1),
            ["median"] = lengths.Order().ElementAt(lengths.Length / 2),
            ["at_max"] = lengths.Count(l => l == MaxLength),
        }.ToJsonString());
        return 0;
    }

    /// <summary>Reads a lengths file, capping each at <paramref name="maxLength"/> (the model's max_position_embeddings).</summary>
    public static int[] Read(string file, int maxLength)
    {
        if (!File.Exists(file)) throw new FileNotFoundException($"sequence lengths file {file} not found (make it with: GpuRunner spam-lengths)", file);
        return File.ReadLines(file).Where(l => l.Length > 0).Select((l, i) =>
            int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? Math.Min(n, maxLength)
            : throw new InvalidDataException($"{file} line {i + 1}: expected a positive token count, got '{l}'")).ToArray();
    }
}
