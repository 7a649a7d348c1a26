using Microsoft.ML;
using MLNetExt.Blt;
using MLNetExt.Blt.MLNet;
using MLNetExt.Tests.MLNet;

namespace MLNetExt.Tests.Blt.MLNet;

public sealed class BytesRow
{
    public byte[] Bytes { get; set; } = [];
}

public sealed class BitsRow
{
    public float BitsPerByte { get; set; }
}

/// <summary>Rows and quick training settings for the BLT ML.NET tests.</summary>
static class BltMLNetData
{
    /// <summary>Texts that exercise the byte path: ASCII, multi-byte UTF-8, emoji, a lone surrogate, an empty string.</summary>
    public static readonly string[] OddTexts = ["plain ascii text, with punctuation!", "naïve café — 東京", "emoji 🐋🐳 end", "lone \uD800 surrogate", ""];

    public static IDataView Texts(MLContext ml, IEnumerable<string> texts) => ml.Data.LoadFromEnumerable(texts.Select(t => new TextRow { Text = t }));

    /// <summary>Tiny preset, few steps: seconds on a CPU.</summary>
    public static BltTextClassificationOptions Classifier(int epochs = 2) => new()
    {
        Sentence1ColumnName = "Text", MaxBytes = 64, Model = BltSource.FromScratch(BltSize.Tiny), Epochs = epochs, BatchSize = 8, LearningRate = 3e-3, Seed = 1,
    };

    public static BltBitsPerByteOptions BitsPerByte(int epochs = 2) => new()
    {
        Model = BltSource.FromScratch(BltSize.Tiny), Epochs = epochs, BatchSize = 8, LearningRate = 3e-3, Seed = 1,
    };

    public static BltModel TinyModel()
    {
        TorchSharp.torch.set_num_threads(1);
        return TinyBlt.Model();
    }
}
