using Microsoft.ML;

namespace MLNetExt.Training.MLNet;

/// <summary>
/// A transformer's columns over one input schema. Output columns follow the input's, so input column i keeps
/// index i; an output named like an input column hides it, as in ML.NET's own transformers.
/// </summary>
sealed class ScoringBindings<TResult>
{
    public DataViewSchema InputSchema { get; }
    public DataViewSchema OutputSchema { get; }
    /// <summary>The input columns the model reads.</summary>
    public DataViewSchema.Column[] ModelInputs { get; }
    public IReadOnlyList<ScoreColumn<TResult>> Outputs { get; }

    public ScoringBindings(DataViewSchema input, DataViewSchema.Column[] modelInputs, IReadOnlyList<ScoreColumn<TResult>> outputs)
    {
        InputSchema = input;
        ModelInputs = modelInputs;
        Outputs = outputs;
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input);
        foreach (var output in outputs) builder.AddColumn(output.Name, output.Type, output.Annotations);
        OutputSchema = builder.ToSchema();
    }

    public bool IsOutput(int index) => index >= InputSchema.Count;

    public ScoreColumn<TResult> Output(int index) => Outputs[index - InputSchema.Count];

    /// <summary>The input columns needed to serve <paramref name="active"/> output-schema columns.</summary>
    public IEnumerable<DataViewSchema.Column> Dependencies(IEnumerable<DataViewSchema.Column> active, out bool scores)
    {
        var columns = active.ToArray();
        scores = columns.Any(c => IsOutput(c.Index));
        var needed = columns.Where(c => !IsOutput(c.Index)).Select(c => InputSchema[c.Index]);
        return (scores ? needed.Concat(ModelInputs) : needed).DistinctBy(c => c.Index).ToArray();
    }

    public InvalidOperationException WrongType(DataViewSchema.Column column, Type asked) =>
        new($"Column '{column.Name}' is {column.Type} with values of {Describe(column.Type.RawType)}; a getter of {Describe(asked)} was asked for.");

    static string Describe(Type type) => type.IsGenericType
        ? $"{type.Name[..type.Name.IndexOf('`')]}<{string.Join(", ", type.GetGenericArguments().Select(Describe))}>"
        : type.Name;
}
