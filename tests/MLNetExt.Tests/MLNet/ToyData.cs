using Microsoft.ML;

namespace MLNetExt.Tests.MLNet;

public sealed class TextRow
{
    public string Text { get; set; } = "";
    public string Label { get; set; } = "";
}

public sealed class FloatLabelRow
{
    public string Text { get; set; } = "";
    public float Label { get; set; }
}

public sealed class Prediction
{
    public uint PredictedLabel { get; set; }
    public float[] Score { get; set; } = [];
}

/// <summary>Three classes told apart by their characters: vowels, digits, punctuation; lengths 1-24.</summary>
static class ToyData
{
    static readonly (string Label, string Alphabet)[] Classes = [("vowels", "aeiou"), ("digits", "0123456789"), ("marks", "!?.,;:-")];

    public static TextRow[] Rows(int count, int seed = 7)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(i =>
        {
            var (label, alphabet) = Classes[i % Classes.Length];
            var chars = Enumerable.Range(0, random.Next(1, 25)).Select(_ => alphabet[random.Next(alphabet.Length)]);
            return new TextRow { Text = new string(chars.ToArray()), Label = label };
        }).ToArray();
    }

    public static IDataView Load(MLContext ml, int count, int seed = 7) => ml.Data.LoadFromEnumerable(Rows(count, seed));
}
