using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace BatchScoring;

/// <summary>Reads one column of the current row as TSV text: scalars as themselves, keys as their values, vectors comma-joined.</summary>
static class ColumnFormatter
{
    public static Func<string> For(DataViewRowCursor cursor, DataViewSchema.Column column) => column.Type switch
    {
        VectorDataViewType vector => VectorOf(cursor, column, vector.ItemType),
        KeyDataViewType { RawType: var raw } when raw == typeof(uint) && column.Annotations.Schema.GetColumnOrNull(KeyValues) is not null => KeyText(cursor, column),
        var scalar => ScalarOf(cursor, column, scalar),
    };

    static Func<string> ScalarOf(DataViewRowCursor cursor, DataViewSchema.Column column, DataViewType type) => type.RawType switch
    {
        var t when t == typeof(ReadOnlyMemory<char>) => Scalar<ReadOnlyMemory<char>>(cursor, column, v => v.ToString()),
        var t when t == typeof(bool) => Scalar<bool>(cursor, column, v => v ? "true" : "false"),
        var t when t == typeof(float) => Scalar<float>(cursor, column, v => v.ToString("R", CultureInfo.InvariantCulture)),
        var t when t == typeof(double) => Scalar<double>(cursor, column, v => v.ToString("R", CultureInfo.InvariantCulture)),
        var t when t == typeof(int) => Scalar<int>(cursor, column, v => v.ToString(CultureInfo.InvariantCulture)),
        var t when t == typeof(long) => Scalar<long>(cursor, column, v => v.ToString(CultureInfo.InvariantCulture)),
        var t when t == typeof(uint) => Scalar<uint>(cursor, column, v => v.ToString(CultureInfo.InvariantCulture)),
        _ => throw Unsupported(column),
    };

    static Func<string> VectorOf(DataViewRowCursor cursor, DataViewSchema.Column column, DataViewType item) => item.RawType switch
    {
        var t when t == typeof(float) => Vector<float>(cursor, column, v => v.ToString("R", CultureInfo.InvariantCulture)),
        var t when t == typeof(double) => Vector<double>(cursor, column, v => v.ToString("R", CultureInfo.InvariantCulture)),
        var t when t == typeof(ReadOnlyMemory<char>) => Vector<ReadOnlyMemory<char>>(cursor, column, v => v.ToString()),
        _ => throw Unsupported(column),
    };

    /// <summary>A key column (e.g. a label a pipeline mapped to keys) as the value its key stands for; key 0, missing, as empty.</summary>
    static Func<string> KeyText(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        VBuffer<ReadOnlyMemory<char>> names = default;
        column.GetKeyValues(ref names);
        var values = names.DenseValues().Select(v => v.ToString()).ToArray();
        return Scalar<uint>(cursor, column, key => key == 0 ? "" : values[key - 1]);
    }

    static Func<string> Scalar<T>(DataViewRowCursor cursor, DataViewSchema.Column column, Func<T, string> format)
    {
        var getter = cursor.GetGetter<T>(column);
        T value = default!;
        return () =>
        {
            getter(ref value);
            return format(value);
        };
    }

    static Func<string> Vector<T>(DataViewRowCursor cursor, DataViewSchema.Column column, Func<T, string> format)
    {
        var getter = cursor.GetGetter<VBuffer<T>>(column);
        VBuffer<T> value = default;
        return () =>
        {
            getter(ref value);
            return string.Join(',', value.DenseValues().Select(format));
        };
    }

    const string KeyValues = "KeyValues";

    static NotSupportedException Unsupported(DataViewSchema.Column column) =>
        new($"Column '{column.Name}' has type {column.Type}; the TSV writer handles text, bool, numbers and vectors of numbers or text.");
}
