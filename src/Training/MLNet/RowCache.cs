using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetExt.Training.MLNet;

/// <summary>
/// Holds one input column's values for the rows a read-ahead cursor has read but not yet served: slot i is the
/// i-th row of the batch. Vectors are copied out, so callers never share our buffers.
/// </summary>
abstract class RowCache
{
    /// <summary>Reads the input row the source cursor is on into <paramref name="slot"/>.</summary>
    public abstract void Capture(int slot);

    /// <summary>Swaps two slots (moving a carried-over row to the front keeps both slots' buffers alive).</summary>
    public abstract void Swap(int a, int b);

    /// <summary>A getter serving the slot <paramref name="slot"/> returns at call time.</summary>
    public abstract Delegate Getter(Func<int> slot);

    public static RowCache Create(DataViewRow source, DataViewSchema.Column column, int capacity)
    {
        var raw = column.Type.RawType;
        var type = raw.IsGenericType && raw.GetGenericTypeDefinition() == typeof(VBuffer<>)
            ? typeof(VectorCache<>).MakeGenericType(raw.GetGenericArguments()[0])
            : typeof(ValueCache<>).MakeGenericType(raw);
        return (RowCache)Activator.CreateInstance(type, source, column, capacity)!;
    }
}

sealed class ValueCache<T> : RowCache
{
    readonly ValueGetter<T> _source;
    readonly T[] _values;

    public ValueCache(DataViewRow source, DataViewSchema.Column column, int capacity)
    {
        _source = source.GetGetter<T>(column);
        _values = new T[capacity];
    }

    public override void Capture(int slot) => _source(ref _values[slot]);

    public override void Swap(int a, int b) => (_values[a], _values[b]) = (_values[b], _values[a]);

    public override Delegate Getter(Func<int> slot) => (ValueGetter<T>)((ref T value) => value = _values[slot()]);
}

sealed class VectorCache<T> : RowCache
{
    readonly ValueGetter<VBuffer<T>> _source;
    readonly VBuffer<T>[] _values;

    public VectorCache(DataViewRow source, DataViewSchema.Column column, int capacity)
    {
        _source = source.GetGetter<VBuffer<T>>(column);
        _values = new VBuffer<T>[capacity];
    }

    public override void Capture(int slot) => _source(ref _values[slot]);

    public override void Swap(int a, int b) => (_values[a], _values[b]) = (_values[b], _values[a]);

    public override Delegate Getter(Func<int> slot) => (ValueGetter<VBuffer<T>>)((ref VBuffer<T> value) => _values[slot()].CopyTo(ref value));
}
