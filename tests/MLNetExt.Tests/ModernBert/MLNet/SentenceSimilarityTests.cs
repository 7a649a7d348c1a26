using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.ModernBert.MLNet;

namespace MLNetExt.Tests.ModernBert.MLNet;

[TestClass]
public sealed class SentenceSimilarityTests
{
    [TestMethod]
    public void LearnsPairScoresAndEvaluatesAsRegression()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(MLNetFixtures.Pairs(40));
        var options = new ModernBertSentenceSimilarityOptions { Model = MLNetFixtures.TinySource, Epochs = 10, LearningRate = 3e-3, MaxLength = 64, TokenBudget = 256, Seed = 1 };
        var model = ml.Regression.Trainers.ModernBertSentenceSimilarity(options).Fit(data);
        var scored = model.Transform(data);
        Assert.AreEqual(NumberDataViewType.Single, scored.Schema["Score"].Type);
        var metrics = ml.Regression.Evaluate(scored);
        Assert.IsLessThan(0.1, metrics.MeanSquaredError, $"MSE {metrics.MeanSquaredError}");
    }

    [TestMethod]
    public void ALabelThatIsNotSingleIsNamed()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(MLNetFixtures.Pairs(4).Select(p => new { p.Sentence1, p.Sentence2, Label = p.Label.ToString() }));
        var trainer = ml.Regression.Trainers.ModernBertSentenceSimilarity();
        StringAssert.Contains(Assert.Throws<ArgumentOutOfRangeException>(() => trainer.GetOutputSchema(SchemaShape.Create(data.Schema))).Message,
            "Column 'Label' must be of type Single, got String");
    }
}
