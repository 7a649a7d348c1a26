using Microsoft.ML;
using MLNetExt.ModernBert;
using MLNetExt.ModernBert.MLNet;
using MLNetExt.ModernBert.Tokenization;
using MLNetExt.Tests.MLNet;

namespace MLNetExt.Tests.ModernBert.MLNet;

public sealed class PairRow
{
    public string Sentence1 { get; set; } = "";
    public string Sentence2 { get; set; } = "";
    public float Label { get; set; }
}

/// <summary>Tiny ModernBERT settings and data for the ML.NET tests.</summary>
static class MLNetFixtures
{
    /// <summary>3 layers, hidden 32, from scratch without warm-up: a fit takes about a second.</summary>
    public static ModernBertSource TinySource => ModernBertSource.FromScratch(ModernBertConfig.Tiny with { MaxPositionEmbeddings = 128 }, maskedLmEpochs: 0);

    public static ModernBertTextClassificationOptions Classifier(int epochs = 8) => new()
    {
        Sentence1ColumnName = "Text", Model = TinySource, Epochs = epochs, LearningRate = 3e-3, MaxLength = 64, TokenBudget = 96, Seed = 1,
    };

    /// <summary>Pairs whose similarity is 1 when both sentences are digits, 0 otherwise.</summary>
    public static PairRow[] Pairs(int count, int seed = 3)
    {
        var rows = ToyData.Rows(count * 2, seed);
        return Enumerable.Range(0, count).Select(i => new PairRow
        {
            Sentence1 = rows[2 * i].Text, Sentence2 = rows[2 * i + 1].Text,
            Label = rows[2 * i].Label == "digits" && rows[2 * i + 1].Label == "digits" ? 1 : 0,
        }).ToArray();
    }

    /// <summary>A Hugging Face folder with a fresh tiny encoder and the default tokenizer.</summary>
    public static string HuggingFaceFolder(string root)
    {
        var tokenizer = ModernBertTokenizer.CreateDefault();
        var config = ModernBertConfig.Tiny with
        {
            VocabSize = tokenizer.VocabSize, ClsTokenId = tokenizer.ClsId, BosTokenId = tokenizer.ClsId,
            SepTokenId = tokenizer.SepId, EosTokenId = tokenizer.SepId, PadTokenId = tokenizer.PadId, MaxPositionEmbeddings = 128,
        };
        TorchSharp.torch.manual_seed(5);
        string folder = Path.Combine(root, "tiny-modernbert");
        using var model = new ModernBertModel(config);
        ModernBertCheckpoint.Save(model, folder);
        tokenizer.Save(Path.Combine(folder, "tokenizer.json"));
        return folder;
    }

    public static IEnumerable<Exception> Chain(Exception? e)
    {
        for (; e is not null; e = e.InnerException) yield return e;
    }
}
