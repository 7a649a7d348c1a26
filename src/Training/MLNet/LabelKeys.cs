using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetExt.Training.MLNet;

/// <summary>
/// The classes of a multiclass model, in key order: class i is key value i + 1 (0 is ML.NET's missing key).
/// A key label keeps its key order and key values; a string label gets keys in order of first occurrence,
/// as <c>MapValueToKey</c> does by default. Missing labels (key 0, empty string) are skipped in training; a string
/// the classes don't contain is an error. Scoring never reads the label: its <c>PredictedLabel</c> is a key with
/// these names as key values, so <c>MapKeyToValue</c> and the evaluators work on it.
/// </summary>
public sealed class LabelKeys
{
    readonly Dictionary<string, int> _index;

    public IReadOnlyList<string> Names { get; }
    public int Count => Names.Count;
    public KeyDataViewType KeyType { get; }

    public LabelKeys(IReadOnlyList<string> names)
    {
        if (names.Count < 2) throw new ArgumentException($"A classifier needs at least 2 classes, got {names.Count}.", nameof(names));
        _index = new Dictionary<string, int>(names.Count, StringComparer.Ordinal);
        for (int i = 0; i < names.Count; i++)
            if (!_index.TryAdd(names[i], i)) throw new ArgumentException($"Class '{names[i]}' appears twice.", nameof(names));
        Names = names.ToArray();
        KeyType = new KeyDataViewType(typeof(uint), names.Count);
    }

    /// <summary>The classes of <paramref name="column"/> in <paramref name="data"/> (a key or string column).</summary>
    public static LabelKeys Collect(IDataView data, string column)
    {
        var label = ColumnRequirement.KeyOrText(column).Find(data.Schema);
        if (label.Type is KeyDataViewType key) return new LabelKeys(KeyNames(label, key));
        var names = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        using var cursor = data.GetRowCursor(new[] { label });
        var get = cursor.GetGetter<ReadOnlyMemory<char>>(label);
        ReadOnlyMemory<char> value = default;
        while (cursor.MoveNext())
        {
            get(ref value);
            if (!value.IsEmpty && seen.Add(value.ToString())) names.Add(value.ToString());
        }
        return new LabelKeys(names);
    }

    /// <summary>The classes of a key column, scalar or vector (e.g. one label per word), from its key values.</summary>
    public static LabelKeys FromKeys(DataViewSchema.Column column) =>
        column.Type.GetItemType() is KeyDataViewType key ? new LabelKeys(KeyNames(column, key))
            : throw new ArgumentOutOfRangeException(nameof(column), $"Column '{column.Name}' must be of a key type, got {column.Type}.");

    /// <summary>Reads the current row's class index (0-based), or -1 when the label is missing.</summary>
    public Func<int> MakeReader(DataViewRow row, string column)
    {
        var label = ColumnRequirement.KeyOrText(column).Find(row.Schema);
        if (label.Type is KeyDataViewType key)
        {
            if (key.Count != (ulong)Count)
                throw new ArgumentOutOfRangeException(nameof(row), $"Column '{column}' has {key.Count} keys; the model has {Count} classes.");
            var getKey = row.GetGetter<uint>(label);
            uint k = 0;
            return () => { getKey(ref k); return (int)k - 1; };
        }
        var getText = row.GetGetter<ReadOnlyMemory<char>>(label);
        ReadOnlyMemory<char> text = default;
        return () =>
        {
            getText(ref text);
            if (text.IsEmpty) return -1;
            return _index.TryGetValue(text.ToString(), out int i) ? i
                : throw new InvalidDataException($"Column '{column}' row {row.Position}: label '{text}' is not one of the model's {Count} classes.");
        };
    }

    /// <summary>The key-values annotation of <c>PredictedLabel</c>.</summary>
    public DataViewSchema.Annotations KeyValues()
    {
        var builder = new DataViewSchema.Annotations.Builder();
        builder.AddKeyValues<ReadOnlyMemory<char>>(Count, TextDataViewType.Instance, NamesGetter);
        return builder.ToAnnotations();
    }

    /// <summary>Fills a text vector with the class names (slot names of a score vector).</summary>
    public void NamesGetter(ref VBuffer<ReadOnlyMemory<char>> names)
    {
        var editor = VBufferEditor.Create(ref names, Count);
        for (int i = 0; i < Count; i++) editor.Values[i] = Names[i].AsMemory();
        names = editor.Commit();
    }

    static string[] KeyNames(DataViewSchema.Column label, KeyDataViewType key)
    {
        if (key.Count is 0 or > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(label), $"Column '{label.Name}' must be a key type with a known count, got {key}.");
        int count = (int)key.Count;
        var valuesColumn = label.Annotations.Schema.GetColumnOrNull(AnnotationUtils.Kinds.KeyValues);
        if (valuesColumn is null) return Enumerable.Range(1, count).Select(k => k.ToString()).ToArray();
        var read = typeof(LabelKeys).GetMethod(nameof(ReadKeyValues), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
            .MakeGenericMethod(valuesColumn.Value.Type.GetItemType().RawType);
        return (string[])read.Invoke(null, new object[] { label, count })!;
    }

    static string[] ReadKeyValues<T>(DataViewSchema.Column label, int count)
    {
        VBuffer<T> values = default;
        label.GetKeyValues(ref values);
        var dense = values.DenseValues().Select(v => v?.ToString() ?? "").ToArray();
        if (dense.Length != count)
            throw new InvalidDataException($"Column '{label.Name}' has {count} keys but {dense.Length} key values.");
        return dense;
    }
}
