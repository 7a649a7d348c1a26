using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetExt.ScoringHost;

/// <summary>Writes columns of a data view as text, floats as their exact bits, so two processes' outputs compare exactly.</summary>
public static class ScoreDump
{
    public static void Write(IDataView data, IReadOnlyList<string> columnNames, TextWriter output)
    {
        var columns = columnNames.Select(n => data.Schema.GetColumnOrNull(n) ?? throw new ArgumentException($"Column '{n}' not found.")).ToArray();
        using var cursor = data.GetRowCursor(columns);
        var readers = columns.Select(c => Reader(cursor, c)).ToArray();
        while (cursor.MoveNext())
            output.WriteLine(string.Join('\t', readers.Select(read => read())));
    }

    public static string ToText(IDataView data, params string[] columnNames)
    {
        var text = new StringWriter();
        Write(data, columnNames, text);
        return text.ToString();
    }

    static Func<string> Reader(DataViewRow row, DataViewSchema.Column column)
    {
        switch (column.Type.RawType)
        {
            case var t when t == typeof(float):
                var getFloat = row.GetGetter<float>(column);
                float f = 0;
                return () => { getFloat(ref f); return Bits(f); };
            case var t when t == typeof(uint):
                var getKey = row.GetGetter<uint>(column);
                uint k = 0;
                return () => { getKey(ref k); return k.ToString(CultureInfo.InvariantCulture); };
            case var t when t == typeof(ReadOnlyMemory<char>):
                var getText = row.GetGetter<ReadOnlyMemory<char>>(column);
                ReadOnlyMemory<char> s = default;
                return () => { getText(ref s); return s.ToString(); };
            case var t when t == typeof(VBuffer<float>):
                var getVector = row.GetGetter<VBuffer<float>>(column);
                VBuffer<float> v = default;
                return () => { getVector(ref v); return string.Join(',', v.DenseValues().Select(Bits)); };
            case var t when t == typeof(VBuffer<int>):
                var getInts = row.GetGetter<VBuffer<int>>(column);
                VBuffer<int> ints = default;
                return () => { getInts(ref ints); return string.Join(',', ints.DenseValues()); };
            default:
                throw new ArgumentException($"Column '{column.Name}' has type {column.Type}, which ScoreDump doesn't write.");
        }
    }

    static string Bits(float value) => BitConverter.SingleToInt32Bits(value).ToString("x8", CultureInfo.InvariantCulture);
}
