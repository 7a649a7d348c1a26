using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.ScoringHost;
using MLNetExt.Tests.MLNet.Toy;
using MLNetExt.Training.MLNet;

namespace MLNetExt.Tests.MLNet;

[TestClass]
public sealed class ScoringTests
{
    static readonly ToyClassifierOptions Quick = new() { Epochs = 15 };

    static (MLContext Ml, IDataView Data, ToyClassifierTransformer Model) Fit(ToyClassifierOptions? options = null, int rows = 60)
    {
        TorchSharp.torch.set_num_threads(1);
        var ml = new MLContext(seed: 1);
        var data = ToyData.Load(ml, rows);
        return (ml, data, new ToyClassifierEstimator(ml, options ?? Quick).Fit(data));
    }

    [TestMethod]
    public void PipelineLearnsTheToyTaskAndEvaluates()
    {
        var ml = new MLContext(seed: 1);
        var data = ToyData.Load(ml, 60);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(new ToyClassifierEstimator(ml, Quick));
        var scored = pipeline.Fit(data).Transform(ToyData.Load(ml, 30, seed: 8));

        var predicted = scored.Schema["PredictedLabel"];
        Assert.AreEqual(3UL, predicted.Type.GetKeyCount());
        VBuffer<ReadOnlyMemory<char>> names = default;
        predicted.GetKeyValues(ref names);
        CollectionAssert.AreEqual(new[] { "vowels", "digits", "marks" }, names.DenseValues().Select(n => n.ToString()).ToArray());
        Assert.AreEqual(3, ((VectorDataViewType)scored.Schema["Score"].Type).Size);
        var metrics = ml.MulticlassClassification.Evaluate(scored);
        Assert.IsGreaterThan(0.9, metrics.MicroAccuracy);
    }

    [TestMethod]
    public void BatchScoringMatchesPredictionEngineExactly()
    {
        var (ml, data, model) = Fit();
        string batch = ScoreDump.ToText(model.Transform(data), "PredictedLabel", "Score");
        var engine = ml.Model.CreatePredictionEngine<TextRow, Prediction>(model);
        var single = ScoreDump.ToText(ml.Data.LoadFromEnumerable(ToyData.Rows(60).Select(r =>
        {
            var p = engine.Predict(r);
            return new Prediction { PredictedLabel = p.PredictedLabel, Score = p.Score.ToArray() };
        })), "PredictedLabel", "Score");
        Assert.AreEqual(batch, single);
    }

    [TestMethod]
    public void ReadAheadPacksRowsUpToTheTokenBudget()
    {
        var (_, data, model) = Fit(Quick with { Scoring = new ScoringOptions(TokenBudget: 40, MaxRows: 5) });
        var lengths = ToyData.Rows(60).Select(r => r.Text.Length).ToArray();
        var expected = new List<int>();
        int rows = 0, tokens = 0;
        foreach (int length in lengths)
        {
            if (rows > 0 && (tokens + length > 40 || rows == 5)) { expected.Add(rows); rows = 0; tokens = 0; }
            rows++;
            tokens += length;
        }
        expected.Add(rows);

        model.BatchSizes.Clear();
        string texts = ScoreDump.ToText(model.Transform(data), "Text", "Score");
        CollectionAssert.AreEqual(expected, model.BatchSizes);
        Assert.AreEqual(expected.Count, model.ModelCalls);
        CollectionAssert.AreEqual(ToyData.Rows(60).Select(r => r.Text).ToArray(), texts.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')[0]).ToArray());
    }

    [TestMethod]
    public void UnrequestedOutputColumnsCostNoModelCall()
    {
        var (_, data, model) = Fit();
        var scored = model.Transform(data);
        Assert.AreEqual(0, model.ModelCalls);
        Assert.AreEqual(60, ScoreDump.ToText(scored, "Text", "Label").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.AreEqual(0, model.ModelCalls);
        ScoreDump.ToText(scored, "Score");
        Assert.IsGreaterThan(0L, model.ModelCalls);
    }

    [TestMethod]
    public void ShuffledAndParallelCursorsServeEveryRowWithItsOwnScore()
    {
        var (ml, data, model) = Fit();
        var byText = ScoreDump.ToText(model.Transform(data), "Text", "Score").Split('\n', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        var shuffled = model.Transform(ml.Data.ShuffleRows(data, seed: 3));
        Assert.IsTrue(shuffled.CanShuffle || !data.CanShuffle);
        var cursors = shuffled.GetRowCursorSet(shuffled.Schema, 4, new Random(5));
        var seen = new List<string>();
        foreach (var cursor in cursors)
        using (cursor)
        {
            var text = cursor.GetGetter<ReadOnlyMemory<char>>(shuffled.Schema["Text"]);
            var score = cursor.GetGetter<VBuffer<float>>(shuffled.Schema["Score"]);
            ReadOnlyMemory<char> t = default;
            VBuffer<float> s = default;
            while (cursor.MoveNext())
            {
                text(ref t);
                score(ref s);
                seen.Add($"{t}\t{string.Join(',', s.DenseValues().Select(v => BitConverter.SingleToInt32Bits(v).ToString("x8")))}");
            }
        }
        Assert.HasCount(60, seen);
        Assert.IsTrue(seen.All(byText.Contains));
    }

    [TestMethod]
    public void VectorInputColumnsAreCopiedPerRowThroughReadAhead()
    {
        var (ml, data, model) = Fit(Quick with { Scoring = new ScoringOptions(TokenBudget: 30, MaxRows: 4) });
        var withVector = ml.Transforms.Text.TokenizeIntoCharactersAsKeys("Chars", "Text", useMarkerCharacters: false).Fit(data).Transform(data);
        var scored = model.Transform(withVector);
        var lengths = new List<int>();
        using (var cursor = scored.GetRowCursor(scored.Schema))
        {
            var chars = cursor.GetGetter<VBuffer<ushort>>(scored.Schema["Chars"]);  // character keys are UInt16
            VBuffer<ushort> v = default;
            while (cursor.MoveNext()) { chars(ref v); lengths.Add(v.Length); }
        }
        CollectionAssert.AreEqual(ToyData.Rows(60).Select(r => r.Text.Length).ToArray(), lengths);
        Assert.IsGreaterThan(1L, model.ModelCalls);
    }

    [TestMethod]
    public void ConcurrentCursorsShareTheModelSafely()
    {
        var (_, data, model) = Fit(Quick with { Scoring = new ScoringOptions(TokenBudget: 50, MaxRows: 4) });
        var scored = model.Transform(data);
        string expected = ScoreDump.ToText(scored, "Text", "Score");
        var results = new string[4];
        Parallel.For(0, results.Length, i => results[i] = ScoreDump.ToText(scored, "Text", "Score"));
        foreach (string result in results) Assert.AreEqual(expected, result);
    }

    [TestMethod]
    public void ScalarAndVectorColumnsDescribeThemselves()
    {
        var features = ScoreColumns.Vector<float[]>("Features", 4, r => r);
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 4), features.Type);
        Assert.AreEqual(SchemaShape.Column.VectorKind.Vector, features.ToShape().Kind);
        var score = ScoreColumns.Scalar<float[]>("Score", r => r[0], AnnotationUtils.Const.ScoreColumnKind.Regression);
        Assert.AreEqual(NumberDataViewType.Single, score.Type);
        ReadOnlyMemory<char> kind = default;
        score.Annotations!.GetValue(AnnotationUtils.Kinds.ScoreColumnKind, ref kind);
        Assert.AreEqual("Regression", kind.ToString());
        var shape = ScoreColumns.MulticlassShape();
        Assert.IsTrue(shape[0].IsKey);
        Assert.AreEqual(NumberDataViewType.UInt32, shape[0].ItemType);
    }
}
