using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetExt.Training.MLNet;

/// <summary>The output columns ML.NET's evaluators and catalogs expect, built from a model's per-row result.</summary>
public static class ScoreColumns
{
    /// <summary>
    /// Multiclass outputs: <paramref name="predictedLabel"/>, a key over <paramref name="labels"/> (argmax of the
    /// scores, first on ties), and <paramref name="score"/>, a vector of per-class scores with class names as slot names.
    /// </summary>
    public static ScoreColumn<TResult>[] Multiclass<TResult>(LabelKeys labels, Func<TResult, float[]> scores,
        string predictedLabel = "PredictedLabel", string score = "Score")
    {
        var scoreAnnotations = new DataViewSchema.Annotations.Builder();
        scoreAnnotations.AddSlotNames(labels.Count, labels.NamesGetter);
        AddScoreKind(scoreAnnotations, AnnotationUtils.Const.ScoreColumnKind.MulticlassClassification, AnnotationUtils.Const.ScoreValueKind.Score);
        var labelAnnotations = new DataViewSchema.Annotations.Builder();
        labelAnnotations.Add(labels.KeyValues(), _ => true);
        AddScoreKind(labelAnnotations, AnnotationUtils.Const.ScoreColumnKind.MulticlassClassification, AnnotationUtils.Const.ScoreValueKind.PredictedLabel);
        return new ScoreColumn<TResult>[]
        {
            new ScoreColumn<TResult, uint>(predictedLabel, labels.KeyType,
                (TResult result, ref uint key) => key = (uint)ArgMax(Checked(scores(result), labels.Count, score)) + 1,
                labelAnnotations.ToAnnotations()),
            new ScoreColumn<TResult, VBuffer<float>>(score, new VectorDataViewType(NumberDataViewType.Single, labels.Count),
                (TResult result, ref VBuffer<float> vector) => CopyInto(Checked(scores(result), labels.Count, score), ref vector),
                scoreAnnotations.ToAnnotations()),
        };
    }

    /// <summary>The shape of <see cref="Multiclass"/>'s columns, for an estimator's GetOutputSchema before the classes are known.</summary>
    public static SchemaShape.Column[] MulticlassShape(string predictedLabel = "PredictedLabel", string score = "Score") =>
        Multiclass<float[]>(AnyClasses, scores => scores, predictedLabel, score).Select(c => c.ToShape()).ToArray();

    // Shapes don't depend on the classes: any two stand in for them.
    static readonly LabelKeys AnyClasses = new(["0", "1"]);

    /// <summary>One float per row, e.g. a regression score; <paramref name="scoreKind"/> is ML.NET's ScoreColumnKind, if any.</summary>
    public static ScoreColumn<TResult> Scalar<TResult>(string name, Func<TResult, float> value, string? scoreKind = null)
    {
        DataViewSchema.Annotations? annotations = null;
        if (scoreKind is not null)
        {
            var builder = new DataViewSchema.Annotations.Builder();
            AddScoreKind(builder, scoreKind, AnnotationUtils.Const.ScoreValueKind.Score);
            annotations = builder.ToAnnotations();
        }
        return new ScoreColumn<TResult, float>(name, NumberDataViewType.Single,
            (TResult result, ref float score) => score = value(result), annotations);
    }

    /// <summary>A fixed-size float vector per row, e.g. pooled <c>Features</c>.</summary>
    public static ScoreColumn<TResult> Vector<TResult>(string name, int size, Func<TResult, float[]> values) =>
        new ScoreColumn<TResult, VBuffer<float>>(name, new VectorDataViewType(NumberDataViewType.Single, size),
            (TResult result, ref VBuffer<float> vector) => CopyInto(Checked(values(result), size, name), ref vector));

    /// <summary>A vector of any length per row (e.g. one value per byte), of primitive item type <paramref name="itemType"/>.</summary>
    public static ScoreColumn<TResult> VariableVector<TResult, T>(string name, PrimitiveDataViewType itemType, Func<TResult, T[]> values) =>
        new ScoreColumn<TResult, VBuffer<T>>(name, new VectorDataViewType(itemType),
            (TResult result, ref VBuffer<T> vector) => CopyInto(values(result), ref vector));

    static void AddScoreKind(DataViewSchema.Annotations.Builder builder, string columnKind, string valueKind)
    {
        builder.Add(AnnotationUtils.Kinds.ScoreColumnKind, TextDataViewType.Instance,
            (ref ReadOnlyMemory<char> kind) => kind = columnKind.AsMemory());
        builder.Add(AnnotationUtils.Kinds.ScoreValueKind, TextDataViewType.Instance,
            (ref ReadOnlyMemory<char> kind) => kind = valueKind.AsMemory());
    }

    static float[] Checked(float[] values, int size, string column) => values.Length == size ? values
        : throw new InvalidOperationException($"The model returned {values.Length} values for column '{column}', which has {size}.");

    static int ArgMax(float[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    static void CopyInto<T>(T[] values, ref VBuffer<T> vector)
    {
        var editor = VBufferEditor.Create(ref vector, values.Length);
        values.CopyTo(editor.Values);
        vector = editor.Commit();
    }
}
