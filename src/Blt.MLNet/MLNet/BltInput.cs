using System.Text;
using System.Text.Json.Serialization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Training.MLNet;

namespace MLNetExt.Blt.MLNet;

/// <summary>
/// The bytes a BLT transformer reads from a row. A <c>String</c> column is UTF-8 encoded exactly as
/// <see cref="ByteTokenizer.Encode(string, bool, bool)"/> does (a lone UTF-16 surrogate becomes U+FFFD, bytes EF BF BD);
/// a <c>Vector&lt;Byte&gt;</c> column is taken as raw bytes, untouched, so any byte sequence can be scored. The model
/// sees BOS, the first <see cref="MaxBytes"/> bytes, then EOS when <see cref="AddEos"/> (models that score the end).
/// </summary>
public sealed record BltInput(string ColumnName, int MaxBytes, bool AddEos)
{
    static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    [JsonIgnore]
    public ColumnRequirement Requirement => new(ColumnName, "String or Vector<Byte>",
        (item, isKey, isVector) => !isKey && (isVector ? item == NumberDataViewType.Byte : item is TextDataViewType));

    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(ColumnName);
        if (MaxBytes < 1) throw new ArgumentOutOfRangeException(nameof(MaxBytes), MaxBytes, "MaxBytes must be at least 1.");
    }

    /// <summary>
    /// Also checks that a row's ids (BOS, MaxBytes bytes, EOS when <see cref="AddEos"/>) fit the byte positions the
    /// model was built for: scoring memory grows with the row length, so a MaxBytes past them is refused up front.
    /// </summary>
    internal void Validate((int Positions, string Key) model)
    {
        Validate();
        int specials = AddEos ? 2 : 1;
        if ((long)MaxBytes + specials > model.Positions)
            throw new ArgumentOutOfRangeException(nameof(MaxBytes), MaxBytes,
                $"MaxBytes {MaxBytes} plus {(AddEos ? "BOS and EOS" : "BOS")} exceeds the model's {model.Positions} byte positions ({model.Key}); use MaxBytes <= {model.Positions - specials}.");
    }

    public long[] Encode(string text) => Encode(Utf8.GetBytes(text));

    public long[] Encode(ReadOnlySpan<byte> bytes) =>
        ByteTokenizer.Encode(bytes[..Math.Min(bytes.Length, MaxBytes)], addBos: true, addEos: AddEos);

    /// <summary>Reads the current row's ids from <paramref name="row"/> (which must hold the column).</summary>
    public Func<long[]> MakeReader(DataViewRow row)
    {
        var column = Requirement.Find(row.Schema);
        if (column.Type is VectorDataViewType)
        {
            var getBytes = row.GetGetter<VBuffer<byte>>(column);
            VBuffer<byte> bytes = default;
            return () =>
            {
                getBytes(ref bytes);
                return Encode(bytes.DenseValues().ToArray());
            };
        }
        var getText = row.GetGetter<ReadOnlyMemory<char>>(column);
        ReadOnlyMemory<char> text = default;
        return () =>
        {
            getText(ref text);
            return Encode(text.ToString());
        };
    }

    /// <summary>Every row's ids, in order.</summary>
    public List<long[]> ReadAll(IDataView data)
    {
        var ids = new List<long[]>();
        using var cursor = data.GetRowCursor([Requirement.Find(data.Schema)]);
        var read = MakeReader(cursor);
        while (cursor.MoveNext()) ids.Add(read());
        return ids;
    }

    /// <summary>An estimator's output shape: the input's columns (checked for this one) plus <paramref name="outputs"/>.</summary>
    public SchemaShape OutputShape(SchemaShape input, IEnumerable<SchemaShape.Column> outputs)
    {
        Requirement.Check(input);
        var columns = input.ToDictionary(c => c.Name);
        foreach (var output in outputs) columns[output.Name] = output;
        return new SchemaShape(columns.Values);
    }
}
