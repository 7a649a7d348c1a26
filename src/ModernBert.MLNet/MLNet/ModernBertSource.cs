using MLNetExt.ModernBert.Tokenization;
using MLNetExt.Training.Checkpoints;

namespace MLNetExt.ModernBert.MLNet;

/// <summary>Shapes for training ModernBERT from scratch; the vocabulary always comes from the tokenizer.</summary>
public enum ModernBertSize
{
    /// <summary>2 layers, hidden 64: seconds per epoch, for tests and smoke runs.</summary>
    Tiny,
    /// <summary>4 layers, hidden 256, 4 heads: a few minutes per epoch on a laptop CPU for thousands of short texts.</summary>
    Small,
    /// <summary>ModernBERT-base's shape (22 layers, hidden 768): needs a GPU.</summary>
    Base,
}

/// <summary>
/// Where a trainer's encoder comes from: a Hugging Face folder (<c>config.json</c>, <c>model.safetensors</c>,
/// <c>tokenizer.json</c>), or a fresh model of a given shape with the default GPT-2 tokenizer, optionally first
/// pre-trained by masked-language modelling on the training text (<see cref="MaskedLmEpochs"/>).
/// </summary>
public sealed record ModernBertSource
{
    /// <summary>The Hugging Face folder, or null for a model trained from scratch.</summary>
    public string? Folder { get; }
    /// <summary>The from-scratch shape (vocabulary and special ids are set from the tokenizer), or null for a folder.</summary>
    public ModernBertConfig? Config { get; }
    /// <summary>Epochs of masked-language-model warm-up on the training text before fine-tuning.</summary>
    public int MaskedLmEpochs { get; }

    ModernBertSource(string? folder, ModernBertConfig? config, int maskedLmEpochs)
    {
        if (maskedLmEpochs < 0) throw new ArgumentOutOfRangeException(nameof(maskedLmEpochs), maskedLmEpochs, "Warm-up epochs cannot be negative.");
        (Folder, Config, MaskedLmEpochs) = (folder, config, maskedLmEpochs);
    }

    /// <summary>A Hugging Face ModernBERT folder; the head is added (or replaced) to fit the task.</summary>
    public static ModernBertSource Pretrained(string folder, int maskedLmEpochs = 0)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        return new(folder, null, maskedLmEpochs);
    }

    /// <summary>A fresh model of a preset shape.</summary>
    public static ModernBertSource FromScratch(ModernBertSize size = ModernBertSize.Small, int maskedLmEpochs = 1) =>
        new(null, Preset(size), maskedLmEpochs);

    /// <summary>A fresh model of the shape <paramref name="config"/> gives.</summary>
    public static ModernBertSource FromScratch(ModernBertConfig config, int maskedLmEpochs = 1)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new(null, config, maskedLmEpochs);
    }

    public static ModernBertConfig Preset(ModernBertSize size) => size switch
    {
        ModernBertSize.Tiny => new ModernBertConfig { HiddenSize = 64, IntermediateSize = 96, NumHiddenLayers = 2, NumAttentionHeads = 2, MaxPositionEmbeddings = 1024, LocalAttention = 64 },
        ModernBertSize.Small => new ModernBertConfig { HiddenSize = 256, IntermediateSize = 384, NumHiddenLayers = 4, NumAttentionHeads = 4, MaxPositionEmbeddings = 1024, LocalAttention = 128 },
        ModernBertSize.Base => ModernBertConfig.Base,
        _ => throw new ArgumentOutOfRangeException(nameof(size), size, "Unknown ModernBERT size."),
    };

    /// <summary>The encoder's config and tokenizer; a folder must hold all three files.</summary>
    public (ModernBertConfig Config, ModernBertTokenizer Tokenizer) Resolve()
    {
        if (Folder is null)
        {
            var tokenizer = ModernBertTokenizer.CreateDefault();
            var config = Config! with
            {
                VocabSize = tokenizer.VocabSize,
                ClsTokenId = tokenizer.ClsId, BosTokenId = tokenizer.ClsId,
                SepTokenId = tokenizer.SepId, EosTokenId = tokenizer.SepId,
                PadTokenId = tokenizer.PadId,
            };
            return (config.Validate(), tokenizer);
        }
        foreach (string file in new[] { ModernBertCheckpoint.ConfigFile, ModernBertCheckpoint.WeightsFile, TokenizerFile })
            if (!File.Exists(Path.Combine(Folder, file)))
                throw new FileNotFoundException($"ModernBERT folder '{Folder}' has no {file}; it needs {ModernBertCheckpoint.ConfigFile}, {ModernBertCheckpoint.WeightsFile} and {TokenizerFile}.", Path.Combine(Folder, file));
        // The weights' header is checked against the config's size now, before any caller builds a module from it.
        var folderConfig = ModernBertCheckpoint.LoadConfig(Folder);
        ModelSize.Check(folderConfig.EncoderParameterCount(), Path.Combine(Folder, ModernBertCheckpoint.ConfigFile),
            SafetensorsHeader.Read(Path.Combine(Folder, ModernBertCheckpoint.WeightsFile)));
        return (folderConfig, ModernBertTokenizer.Load(Path.Combine(Folder, TokenizerFile)));
    }

    internal const string TokenizerFile = "tokenizer.json";
}
