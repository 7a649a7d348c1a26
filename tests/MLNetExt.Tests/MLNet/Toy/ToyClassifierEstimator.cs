using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNetExt.Training.MLNet;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.Tests.MLNet.Toy;

/// <summary>A model's options on the shared training options, as ModernBERT's and BLT's are.</summary>
public sealed record ToyClassifierOptions : TextTrainerOptions
{
    public ToyClassifierOptions() : base(learningRate: 0.1) => Epochs = 30;

    public string TextColumnName { get; init; } = "Text";
    public string LabelColumnName { get; init; } = "Label";
    public string PredictedLabelColumnName { get; init; } = "PredictedLabel";
    public string ScoreColumnName { get; init; } = "Score";
    public int Dim { get; init; } = 8;
    public int BatchRows { get; init; } = 8;
}

/// <summary>Trains a <see cref="ToyModel"/> the way a real model's estimator would use the shared helpers.</summary>
public sealed class ToyClassifierEstimator(IHostEnvironment env, ToyClassifierOptions options) : IEstimator<ToyClassifierTransformer>
{
    const int Vocab = 128;

    ColumnRequirement Text => ColumnRequirement.Text(options.TextColumnName);
    ColumnRequirement Label => ColumnRequirement.KeyOrText(options.LabelColumnName);

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        Text.Check(inputSchema);
        Label.Check(inputSchema);
        var columns = inputSchema.ToDictionary(c => c.Name);
        foreach (var output in ScoreColumns.MulticlassShape(options.PredictedLabelColumnName, options.ScoreColumnName))
            columns[output.Name] = output;
        return new SchemaShape(columns.Values);
    }

    public ToyClassifierTransformer Fit(IDataView input)
    {
        var text = Text.Find(input.Schema);
        var label = Label.Find(input.Schema);
        using var session = new TrainingSession(env, nameof(ToyClassifierEstimator), options);
        var labels = LabelKeys.Collect(input, options.LabelColumnName);
        var (items, classes) = ReadRows(input, text, label, labels);
        var config = new ToyConfig(Vocab, options.Dim, labels.Count);
        manual_seed(1);
        var model = new ToyModel(config);
        model.to(session.Device);
        var optimizer = optim.Adam(model.parameters(), options.LearningRate);
        for (int epoch = 0; epoch < options.Epochs; epoch++)
        {
            double loss = 0;
            for (int start = 0; start < items.Count; start += options.BatchRows)
            {
                session.ThrowIfCancelled();
                using var scope = NewDisposeScope();
                int count = Math.Min(options.BatchRows, items.Count - start);
                var (tokens, rows) = ToyModel.Pack(items.GetRange(start, count));
                var target = tensor(classes.GetRange(start, count).ToArray(), device: session.Device);
                var step = nn.functional.cross_entropy(model.forward(tokens.to(session.Device), rows.to(session.Device)), target);
                optimizer.zero_grad();
                step.backward();
                optimizer.step();
                loss += step.item<float>() * count;
            }
            session.Report($"epoch {epoch + 1}/{options.Epochs}: loss {loss / items.Count:F4}");
        }
        model.to(CPU);
        var columns = new ToyColumns(options.TextColumnName, options.PredictedLabelColumnName, options.ScoreColumnName);
        return new ToyClassifierTransformer(env, config, columns, labels, model, options.Scoring);
    }

    static (List<long[]> Items, List<long> Classes) ReadRows(IDataView input, DataViewSchema.Column text, DataViewSchema.Column label, LabelKeys labels)
    {
        var items = new List<long[]>();
        var classes = new List<long>();
        using var cursor = input.GetRowCursor(new[] { text, label });
        var getText = cursor.GetGetter<ReadOnlyMemory<char>>(text);
        var getClass = labels.MakeReader(cursor, label.Name);
        ReadOnlyMemory<char> value = default;
        while (cursor.MoveNext())
        {
            int cls = getClass();
            if (cls < 0) continue;  // missing label
            getText(ref value);
            items.Add(ToyModel.Tokenize(value.Span, Vocab));
            classes.Add(cls);
        }
        return (items, classes);
    }
}
