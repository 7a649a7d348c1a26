using BatchScoring;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetExt.Tests.Samples;

[TestClass]
public sealed class BatchScoringTests
{
    string _dir = "";

    [TestInitialize]
    public void Setup() => _dir = Directory.CreateTempSubdirectory("batchscoring-").FullName;

    [TestCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    [TestMethod]
    public void Escape_PutsAnyTextOnOneLineAndUnescapeRestoresIt()
    {
        string text = "tab\there\nnew line\r\nback\\slash \\n literal";
        string escaped = TsvEscaping.Escape(text);
        Assert.AreEqual(-1, escaped.IndexOfAny(['\t', '\n', '\r']));
        Assert.AreEqual(text, TsvEscaping.Unescape(escaped));
    }

    [TestMethod]
    public void CancelledThenResumed_WritesTheSameFileAsAnUninterruptedRun()
    {
        var (mlContext, model, schema) = SpamLikeModel();
        string input = WriteInput(60);
        string whole = Path.Combine(_dir, "whole.tsv"), resumed = Path.Combine(_dir, "resumed.tsv");
        var options = new BatchScoringOptions { Columns = ["Id", "PredictedLabel", "Score"] };
        var full = BatchScorer.Score(mlContext, model, schema, input, whole, options);
        Assert.AreEqual(60, full.RowsScored);

        using var stop = new CancellationTokenSource();
        var cancelAt23 = new Callback(rows => { if (rows == 23) stop.Cancel(); });
        Assert.ThrowsExactly<OperationCanceledException>(() => BatchScorer.Score(mlContext, model, schema, input, resumed, options, cancelAt23, stop.Token));
        Assert.AreEqual(24, File.ReadAllLines(resumed).Length, "header + the 23 rows written before the stop");
        Assert.AreEqual($"23 {new FileInfo(resumed).Length}", File.ReadAllText(resumed + ".progress").Trim());

        var rest = BatchScorer.Score(mlContext, model, schema, input, resumed, options);
        Assert.AreEqual((23L, 37L), (rest.RowsResumed, rest.RowsScored));
        CollectionAssert.AreEqual(File.ReadAllBytes(whole), File.ReadAllBytes(resumed));
    }

    [TestMethod]
    public void Resume_DropsRowsWrittenAfterTheLastCommit()
    {
        var (mlContext, model, schema) = SpamLikeModel();
        string input = WriteInput(30);
        string whole = Path.Combine(_dir, "whole.tsv"), crashed = Path.Combine(_dir, "crashed.tsv");
        var options = new BatchScoringOptions { Columns = ["Id", "PredictedLabel"] };
        BatchScorer.Score(mlContext, model, schema, input, whole, options);

        using var stop = new CancellationTokenSource();
        Assert.ThrowsExactly<OperationCanceledException>(() =>
            BatchScorer.Score(mlContext, model, schema, input, crashed, options, new Callback(rows => { if (rows == 10) stop.Cancel(); }), stop.Token));
        // A process killed mid-write leaves rows (or half a row) after the committed bytes.
        File.AppendAllText(crashed, "row-10\tha");

        var rest = BatchScorer.Score(mlContext, model, schema, input, crashed, options);
        Assert.AreEqual(10, rest.RowsResumed);
        CollectionAssert.AreEqual(File.ReadAllBytes(whole), File.ReadAllBytes(crashed));
    }

    [TestMethod]
    public void AKeyColumnIsWrittenAsItsValue()
    {
        var (mlContext, model, schema) = SpamLikeModel();
        string input = Path.Combine(_dir, "in.tsv"), output = Path.Combine(_dir, "out.tsv");
        File.WriteAllText(input, "Id\tLabel\tText\na\tspam\twin\nb\tham\tnotes\nc\teggs\tlunch\n");
        BatchScorer.Score(mlContext, model, schema, input, output, new BatchScoringOptions { Columns = ["Id", "Label"] });
        // The pipeline maps Label to keys; the file gets the label text back, and empty for a label the model never saw.
        Assert.AreEqual("Id\tLabel\na\tspam\nb\tham\nc\t\n", File.ReadAllText(output));
    }

    [TestMethod]
    public void ResumingWithOtherColumns_Throws()
    {
        var (mlContext, model, schema) = SpamLikeModel();
        string input = WriteInput(5), output = Path.Combine(_dir, "out.tsv");
        BatchScorer.Score(mlContext, model, schema, input, output, new BatchScoringOptions { Columns = ["Id", "PredictedLabel"] });
        var e = Assert.ThrowsExactly<InvalidDataException>(() =>
            BatchScorer.Score(mlContext, model, schema, input, output, new BatchScoringOptions { Columns = ["Id", "Score"] }));
        StringAssert.Contains(e.Message, "Id\tPredictedLabel");
    }

    [TestMethod]
    public void TheModelSeesUnescapedTextFromTheNamedColumn()
    {
        var mlContext = new MLContext(seed: 1);
        var empty = mlContext.Data.LoadFromEnumerable(Array.Empty<TextRow>());
        var lengths = mlContext.Transforms.CustomMapping<TextRow, LengthRow>((row, o) => o.Length = row.Text.Length, contractName: null).Fit(empty);
        string input = Path.Combine(_dir, "in.tsv"), output = Path.Combine(_dir, "out.tsv");
        File.WriteAllText(input, "Id\tBody\na\ttab\\there\nb\tline\\nbreak\\\\\n");
        var options = new BatchScoringOptions { TextColumn = "Body", Columns = ["Id", "Length"] };
        BatchScorer.Score(mlContext, lengths, empty.Schema, input, output, options);
        CollectionAssert.AreEqual(new[] { "Id\tLength", "a\t8", "b\t11" }, File.ReadAllLines(output));
    }

    [TestMethod]
    public void AMissingTextColumn_IsNamed()
    {
        var (mlContext, model, schema) = SpamLikeModel();
        string input = WriteInput(3);
        var e = Assert.ThrowsExactly<ArgumentException>(() =>
            BatchScorer.Score(mlContext, model, schema, input, Path.Combine(_dir, "out.tsv"), new BatchScoringOptions { TextColumn = "Body" }));
        StringAssert.Contains(e.Message, "'Body'");
    }

    [TestMethod]
    public void CountRows_CountsLinesAfterTheHeaderWithOrWithoutAFinalNewline()
    {
        string path = Path.Combine(_dir, "count.tsv");
        File.WriteAllText(path, "A\nx\ny\n");
        Assert.AreEqual(2, BatchScorer.CountRows(path));
        File.WriteAllText(path, "A\nx\ny");
        Assert.AreEqual(2, BatchScorer.CountRows(path));
    }

    /// <summary>A Model Builder-shaped text classifier (label mapped in the pipeline) on ML.NET's own featurizer: trains in about a second.</summary>
    static (MLContext, ITransformer, DataViewSchema) SpamLikeModel()
    {
        var mlContext = new MLContext(seed: 1);
        var train = mlContext.Data.LoadFromEnumerable(Enumerable.Range(0, 20).Select(i => new LabelledRow
        {
            Label = i % 2 == 0 ? "spam" : "ham",
            Text = i % 2 == 0 ? $"win money now {i}" : $"meeting notes for monday {i}",
        }));
        var model = mlContext.Transforms.Conversion.MapValueToKey("Label")
            .Append(mlContext.Transforms.Text.FeaturizeText("Features", "Text"))
            .Append(mlContext.MulticlassClassification.Trainers.SdcaMaximumEntropy(maximumNumberOfIterations: 5))
            .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
            .Fit(train);
        return (mlContext, model, train.Schema);
    }

    /// <summary>An unlabelled TSV whose texts hold tabs and newlines (escaped).</summary>
    string WriteInput(int rows)
    {
        string path = Path.Combine(_dir, "in.tsv");
        File.WriteAllLines(path, new[] { "Id\tText" }.Concat(Enumerable.Range(0, rows).Select(i =>
            $"row-{i}\t{TsvEscaping.Escape(i % 3 == 0 ? $"win\tmoney\nnow {i}" : $"monday meeting\r\nnotes {i}")}")));
        return path;
    }

    sealed class Callback(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }

    sealed class LabelledRow
    {
        public string Label { get; set; } = "";
        public string Text { get; set; } = "";
    }

    sealed class TextRow
    {
        public string Text { get; set; } = "";
    }

    sealed class LengthRow
    {
        public float Length { get; set; }
    }
}
