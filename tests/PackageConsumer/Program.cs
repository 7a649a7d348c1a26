// A user's application, built against the packages: fit tiny ModernBERT and BLT classifiers, save them, and (in a
// second process) load and predict. `fit <dir>` writes the models and the predictions it saw; `predict <dir>` loads
// the models and prints its own predictions; the CI script compares the two.
using System.Globalization;
using Microsoft.ML;

var mode = args.Length == 2 ? args[0] : throw new ArgumentException("usage: fit|predict <folder>");
string folder = args[1];
var ml = new MLContext(seed: 1);
string[] probes = ["aeiou eia oui", "0123 456 789", "?! ;: .,"];

if (mode == "fit")
{
    Directory.CreateDirectory(folder);
    var rows = Enumerable.Range(0, 60).Select(i => Example.Row(i)).ToList();
    var data = ml.Data.LoadFromEnumerable(rows);
    var modernBert = ml.Transforms.Conversion.MapValueToKey("Label")
        .Append(ml.MulticlassClassification.Trainers.ModernBert(labelColumnName: "Label", sentence1ColumnName: "Text", epochs: 2))
        .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
        .Fit(data);
    var blt = ml.Transforms.Conversion.MapValueToKey("Label")
        .Append(ml.MulticlassClassification.Trainers.Blt(labelColumnName: "Label", sentence1ColumnName: "Text", epochs: 2))
        .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
        .Fit(data);
    ml.Model.Save(modernBert, data.Schema, Path.Combine(folder, "modernbert.zip"));
    ml.Model.Save(blt, data.Schema, Path.Combine(folder, "blt.zip"));
    File.WriteAllLines(Path.Combine(folder, "fit-predictions.txt"), Predict(modernBert, "modernbert").Concat(Predict(blt, "blt")));
    Console.WriteLine("fitted and saved both models");
}
else
{
    var lines = new List<string>();
    foreach (string name in new[] { "modernbert", "blt" })
        lines.AddRange(Predict(ml.Model.Load(Path.Combine(folder, name + ".zip"), out _), name));
    foreach (string line in lines) Console.WriteLine(line);
}

IEnumerable<string> Predict(ITransformer model, string name)
{
    var engine = ml.Model.CreatePredictionEngine<Example, Prediction>(model);
    foreach (string text in probes)
    {
        var p = engine.Predict(new Example { Text = text });
        yield return string.Create(CultureInfo.InvariantCulture, $"{name}\t{text}\t{p.PredictedLabel}\t{string.Join(" ", p.Score.Select(s => s.ToString("F4", CultureInfo.InvariantCulture)))}");
    }
}

sealed class Example
{
    public string Text { get; set; } = "";
    public string Label { get; set; } = "";

    static readonly (string Label, string Alphabet)[] Classes = [("vowels", "aeiou "), ("digits", "0123456789 "), ("marks", "!?.,;: ")];

    public static Example Row(int i)
    {
        var random = new Random(i);
        var (label, alphabet) = Classes[i % Classes.Length];
        return new Example { Label = label, Text = new string(Enumerable.Range(0, random.Next(4, 30)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray()) };
    }
}

sealed class Prediction
{
    public string PredictedLabel { get; set; } = "";
    public float[] Score { get; set; } = [];
}
