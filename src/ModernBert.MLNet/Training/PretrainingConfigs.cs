using MLNetExt.ModernBert.Tokenization;

namespace MLNetExt.ModernBert.Training;

/// <summary>Model shapes for pretraining from scratch, by name or from a <c>config.json</c>, fitted to a tokenizer.</summary>
public static class PretrainingConfigs
{
    /// <summary>4 layers of 128 (~0.6M non-embedding parameters): a CPU smoke run.</summary>
    public static ModernBertConfig Tiny { get; } = new()
    {
        HiddenSize = 128, IntermediateSize = 192, NumHiddenLayers = 4, NumAttentionHeads = 4, LocalAttention = 64, MaxPositionEmbeddings = 512,
    };

    /// <summary>12 layers of 384 (~16M non-embedding parameters).</summary>
    public static ModernBertConfig Small { get; } = new()
    {
        HiddenSize = 384, IntermediateSize = 576, NumHiddenLayers = 12, NumAttentionHeads = 6, MaxPositionEmbeddings = 1024,
    };

    /// <summary>
    /// "tiny", "small", "base" (ModernBERT-base's shape) or the path of a Hugging Face <c>config.json</c>. Presets get
    /// the tokenizer's special ids and a vocabulary rounded up to a multiple of 64 (as ModernBERT pads its own);
    /// a config file is used as written and must cover the tokenizer's ids.
    /// </summary>
    public static ModernBertConfig Resolve(string nameOrPath, ModernBertTokenizer tokenizer)
    {
        ModernBertConfig? preset = nameOrPath.ToLowerInvariant() switch
        {
            "tiny" => Tiny,
            "small" => Small,
            "base" => ModernBertConfig.Base,
            _ => null,
        };
        if (preset is null)
        {
            if (!File.Exists(nameOrPath))
                throw new FileNotFoundException($"Model config '{nameOrPath}' is neither tiny, small, base nor an existing config.json.", nameOrPath);
            var config = ModernBertConfigJson.Load(nameOrPath);
            if (config.VocabSize < tokenizer.VocabSize)
                throw new ArgumentException($"{nameOrPath}: vocab_size {config.VocabSize} is smaller than the tokenizer's {tokenizer.VocabSize} ids.");
            return config;
        }
        return (preset with
        {
            VocabSize = RoundUp(tokenizer.VocabSize, 64),
            PadTokenId = tokenizer.PadId,
            ClsTokenId = tokenizer.ClsId,
            BosTokenId = tokenizer.ClsId,
            SepTokenId = tokenizer.SepId,
            EosTokenId = tokenizer.SepId,
        }).Validate();
    }

    static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}
