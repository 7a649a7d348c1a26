using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.ModernBert.MLNet;
using MLNetExt.Tests.MLNet;

namespace MLNetExt.Tests.ModernBert.MLNet;

[TestClass]
public sealed class NamedEntityRecognitionTests
{
    public sealed class TaggedRow
    {
        public string Sentence { get; set; } = "";
        public string[] Label { get; set; } = [];
    }

    public sealed class Tagged
    {
        public uint[] Label { get; set; } = [];
        public uint[] PredictedLabel { get; set; } = [];
    }

    /// <summary>Sentences of 2-5 words; each word is vowels, digits or marks, and that is its tag.</summary>
    static TaggedRow[] Sentences(int count, int seed)
    {
        var words = ToyData.Rows(count * 5, seed).Where(w => w.Text.Length <= 6).ToArray();
        var random = new Random(seed);
        var rows = new List<TaggedRow>();
        for (int at = 0; rows.Count < count && at + 5 <= words.Length;)
        {
            int n = random.Next(2, 6);
            var picked = words.Skip(at).Take(n).ToArray();
            at += n;
            rows.Add(new TaggedRow { Sentence = string.Join(" ", picked.Select(w => w.Text)), Label = picked.Select(w => w.Label).ToArray() });
        }
        return [.. rows];
    }

    [TestMethod]
    public void TagsEveryWordAndRoundTripsThroughSaveAndLoad()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Sentences(40, seed: 2));
        var options = new ModernBertNamedEntityRecognitionOptions { Model = MLNetFixtures.TinySource, Epochs = 8, LearningRate = 3e-3, MaxLength = 64, TokenBudget = 96, Seed = 1 };
        var model = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.ModernBertNamedEntityRecognition(options)).Fit(data);
        var scored = ml.Data.CreateEnumerable<Tagged>(model.Transform(data), reuseRowObject: false).ToArray();
        Assert.IsTrue(scored.All(r => r.PredictedLabel.Length == r.Label.Length), "one tag per word");
        double accuracy = scored.Sum(r => r.Label.Zip(r.PredictedLabel).Count(p => p.First == p.Second)) / (double)scored.Sum(r => r.Label.Length);
        Assert.IsGreaterThanOrEqualTo(0.9, accuracy, $"word accuracy {accuracy}");

        using var dir = new PersistenceTests.TempDir();
        ml.Model.Save(model, data.Schema, dir.File("ner.zip"));
        var loaded = new MLContext(seed: 2).Model.Load(dir.File("ner.zip"), out _);
        var again = ml.Data.CreateEnumerable<Tagged>(loaded.Transform(data), reuseRowObject: false).ToArray();
        for (int i = 0; i < scored.Length; i++) CollectionAssert.AreEqual(scored[i].PredictedLabel, again[i].PredictedLabel, $"row {i}");
    }

    [TestMethod]
    public void TagCountMustMatchWordCount()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new TaggedRow { Sentence = "aei", Label = ["vowels"] }, new TaggedRow { Sentence = "aei 123", Label = ["digits"] } });
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.ModernBertNamedEntityRecognition(new ModernBertNamedEntityRecognitionOptions { Model = MLNetFixtures.TinySource, Epochs = 1 }));
        var error = Assert.Throws<InvalidDataException>(() => pipeline.Fit(data));
        StringAssert.Contains(error.Message, "Row 1: column 'Label' has 1 tags but column 'Sentence' has 2 words");
    }

    [TestMethod]
    public void AScalarLabelIsRejectedNamingTheExpectedType()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new { Sentence = "aei", Label = "vowels" } });
        var trainer = ml.MulticlassClassification.Trainers.ModernBertNamedEntityRecognition();
        StringAssert.Contains(Assert.Throws<ArgumentOutOfRangeException>(() => trainer.GetOutputSchema(SchemaShape.Create(data.Schema))).Message,
            "Column 'Label' must be of type Vector<Key>, got String");
    }
}
