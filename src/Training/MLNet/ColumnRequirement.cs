using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetExt.Training.MLNet;

/// <summary>
/// An input column an estimator or transformer needs: its name and the types it accepts. Checks both a fitted
/// schema and an estimator's <see cref="SchemaShape"/>, with errors that name the column, the expected type, the
/// option that names it (<see cref="Option"/>) and the columns the input does have.
/// </summary>
public sealed record ColumnRequirement(string Name, string Expected, ColumnRequirement.TypeTest Accepts)
{
    /// <summary>The option or parameter that chose this column (e.g. Sentence1ColumnName), for error messages.</summary>
    public string? Option { get; init; }

    /// <summary>Whether a column type is acceptable; for keys <paramref name="itemType"/> may be the raw number type (as in a <see cref="SchemaShape"/>).</summary>
    public delegate bool TypeTest(DataViewType itemType, bool isKey, bool isVector);

    /// <summary>A <see cref="TextDataViewType"/> scalar.</summary>
    public static ColumnRequirement Text(string name) =>
        new(name, "String", (item, _, isVector) => !isVector && item is TextDataViewType);

    /// <summary>A multiclass label: a key, or a string mapped to keys by first occurrence (see <see cref="LabelKeys"/>).</summary>
    public static ColumnRequirement KeyOrText(string name) =>
        new(name, "Key or String", (item, isKey, isVector) => !isVector && (isKey || item is TextDataViewType));

    /// <summary>A <see cref="NumberDataViewType.Single"/> scalar (regression targets, weights).</summary>
    public static ColumnRequirement Single(string name) =>
        new(name, "Single", (item, isKey, isVector) => !isVector && !isKey && item == NumberDataViewType.Single);

    /// <summary>Finds the column in a fitted schema, or throws naming it and the expected type.</summary>
    public DataViewSchema.Column Find(DataViewSchema schema)
    {
        var column = schema.GetColumnOrNull(Name) ?? throw NotFound(schema.Where(c => !c.IsHidden).Select(c => c.Name));
        var item = column.Type.GetItemType();
        if (!Accepts(item, item is KeyDataViewType, column.Type is VectorDataViewType)) throw WrongType($"{column.Type}");
        return column;
    }

    /// <summary>Checks the column in an estimator's input shape, or throws naming it and the expected type.</summary>
    public void Check(SchemaShape shape)
    {
        if (!shape.TryFindColumn(Name, out var column)) throw NotFound(shape.Select(c => c.Name));
        bool isVector = column.Kind != SchemaShape.Column.VectorKind.Scalar;
        string got = column.IsKey ? "Key" : $"{column.ItemType}";
        if (!Accepts(column.ItemType, column.IsKey, isVector)) throw WrongType(isVector ? $"Vector<{got}>" : got);
    }

    ArgumentOutOfRangeException NotFound(IEnumerable<string> present)
    {
        var names = present.Distinct().ToList();
        string option = Option is null ? "" : $" Set {Option} to the column to use.";
        string have = names.Count == 0 ? "The input has no columns." : $"The input has: {string.Join(", ", names.Take(20))}{(names.Count > 20 ? ", ..." : "")}.";
        return new("inputSchema", $"Column '{Name}' not found; expected a {Expected} column.{option} {have}");
    }

    ArgumentOutOfRangeException WrongType(string got) => new("inputSchema", $"Column '{Name}' must be of type {Expected}, got {got}.");
}
