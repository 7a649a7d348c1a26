using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetExt.Training.MLNet;

/// <summary>
/// One column a scoring transformer adds, computed from the model's per-row result <typeparamref name="TResult"/>.
/// Build them with <see cref="ScoreColumns"/> or <see cref="ScoreColumn{TResult, TValue}"/>.
/// </summary>
public abstract class ScoreColumn<TResult>
{
    public string Name { get; }
    public DataViewType Type { get; }
    /// <summary>Annotations ML.NET's evaluators and KeyToValue read (slot names, key values, score kind); may be null.</summary>
    public DataViewSchema.Annotations? Annotations { get; }

    private protected ScoreColumn(string name, DataViewType type, DataViewSchema.Annotations? annotations)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        Type = type;
        Annotations = annotations;
    }

    /// <summary>A getter that reads this column from whatever result <paramref name="current"/> returns.</summary>
    internal abstract Delegate MakeGetter(Func<TResult> current);

    /// <summary>This column as an estimator's <see cref="SchemaShape.Column"/>.</summary>
    public SchemaShape.Column ToShape()
    {
        var (kind, item) = Type switch
        {
            VectorDataViewType v => (v.IsKnownSize ? SchemaShape.Column.VectorKind.Vector : SchemaShape.Column.VectorKind.VariableVector, v.ItemType),
            _ => (SchemaShape.Column.VectorKind.Scalar, Type),
        };
        SchemaShape? annotations = null;
        if (Annotations is not null)
            annotations = new SchemaShape(Annotations.Schema.Select(c =>
                new SchemaShape.Column(c.Name, c.Type is VectorDataViewType ? SchemaShape.Column.VectorKind.Vector : SchemaShape.Column.VectorKind.Scalar,
                    c.Type is VectorDataViewType av ? av.ItemType : c.Type, isKey: false)));
        // Shapes describe a key by its raw number type, as ML.NET's own estimators do.
        bool isKey = item is KeyDataViewType;
        if (isKey) item = ColumnTypeExtensions.PrimitiveTypeFromType(item.RawType);
        return new SchemaShape.Column(Name, kind, item, isKey, annotations);
    }
}

/// <summary>A score column of ML.NET raw type <typeparamref name="TValue"/> (float, uint for keys, VBuffer&lt;float&gt;...).</summary>
public sealed class ScoreColumn<TResult, TValue> : ScoreColumn<TResult>
{
    public delegate void Reader(TResult result, ref TValue value);

    readonly Reader _read;

    public ScoreColumn(string name, DataViewType type, Reader read, DataViewSchema.Annotations? annotations = null)
        : base(name, type, annotations)
    {
        if (type.RawType != typeof(TValue))
            throw new ArgumentException($"Column '{name}' has type {type} whose values are {type.RawType.Name}, not {typeof(TValue).Name}.", nameof(type));
        _read = read;
    }

    internal override Delegate MakeGetter(Func<TResult> current) =>
        (ValueGetter<TValue>)((ref TValue value) => _read(current(), ref value));
}
