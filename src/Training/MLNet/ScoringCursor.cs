using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetExt.Training.MLNet;

/// <summary>
/// Serves rows in input order while scoring them in batches: when its batch runs out it reads rows ahead from
/// the input until the next one would pass the token budget (that row is carried to the next batch), caching
/// the active input columns of each, then makes one model call for the whole batch.
/// </summary>
sealed class ScoringCursor<TItem, TResult> : DataViewRowCursor
{
    readonly ScoringTransformer<TItem, TResult> _model;
    readonly ScoringBindings<TResult> _bindings;
    readonly DataViewRowCursor _input;
    readonly Func<TItem> _readItem;
    readonly ValueGetter<DataViewRowId> _readId;
    readonly RowCache?[] _inputs;   // by input column index; null where inactive
    readonly RowCache[] _cached;
    readonly Delegate?[] _outputs;  // by output index; null where inactive
    readonly TItem[] _items;
    readonly int[] _costs;
    readonly DataViewRowId[] _ids;
    TResult[] _results = [];
    int _count;      // rows in the current batch
    int _slot = -1;  // the row served now
    bool _carry;     // slot _count holds a row read for the next batch
    long _position = -1;

    public ScoringCursor(ScoringTransformer<TItem, TResult> model, ScoringBindings<TResult> bindings,
        DataViewRowCursor input, IReadOnlyCollection<int> activeOutputs)
    {
        _model = model;
        _bindings = bindings;
        _input = input;
        int capacity = model.Scoring.MaxRows;
        _items = new TItem[capacity];
        _costs = new int[capacity];
        _ids = new DataViewRowId[capacity];
        _readItem = model.ItemReader(input);
        _readId = input.GetIdGetter();
        _inputs = new RowCache?[bindings.InputSchema.Count];
        foreach (var column in bindings.InputSchema)
            if (input.IsColumnActive(column)) _inputs[column.Index] = RowCache.Create(input, column, capacity);
        _cached = _inputs.OfType<RowCache>().ToArray();
        _outputs = new Delegate?[bindings.Outputs.Count];
        foreach (int index in activeOutputs)
            _outputs[index - bindings.InputSchema.Count] = bindings.Output(index).MakeGetter(() => _results[_slot]);
    }

    public override DataViewSchema Schema => _bindings.OutputSchema;
    public override long Position => _position;
    public override long Batch => 0;

    public override bool MoveNext()
    {
        if (_slot + 1 >= _count && !NextBatch()) return false;
        _slot++;
        _position++;
        return true;
    }

    bool NextBatch()
    {
        int rows = 0, tokens = 0;
        if (_carry)
        {
            MoveSlot(_count, 0);
            tokens = _costs[0];
            rows = 1;
            _carry = false;
        }
        while (rows < _model.Scoring.MaxRows && _input.MoveNext())
        {
            Capture(rows);
            if (rows > 0 && tokens + _costs[rows] > _model.Scoring.TokenBudget)
            {
                _carry = true;
                break;
            }
            tokens += _costs[rows++];
        }
        _count = rows;
        _slot = -1;
        if (rows == 0) return false;
        _results = _model.Score(new ArraySegment<TItem>(_items, 0, rows));
        return true;
    }

    void Capture(int slot)
    {
        foreach (var cache in _cached) cache.Capture(slot);
        _readId(ref _ids[slot]);
        _items[slot] = _readItem();
        _costs[slot] = _model.CostOf(_items[slot]);
    }

    void MoveSlot(int from, int to)
    {
        foreach (var cache in _cached) cache.Swap(from, to);
        _ids[to] = _ids[from];
        _items[to] = _items[from];
        _costs[to] = _costs[from];
    }

    public override bool IsColumnActive(DataViewSchema.Column column) =>
        _bindings.IsOutput(column.Index) ? _outputs[column.Index - _bindings.InputSchema.Count] is not null : _inputs[column.Index] is not null;

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        Delegate? getter = _bindings.IsOutput(column.Index)
            ? _outputs[column.Index - _bindings.InputSchema.Count]
            : _inputs[column.Index]?.Getter(() => _slot);
        if (getter is null) throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor.");
        return getter as ValueGetter<TValue> ?? throw _bindings.WrongType(column, typeof(TValue));
    }

    public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = _ids[_slot];

    protected override void Dispose(bool disposing)
    {
        if (disposing) _input.Dispose();
        base.Dispose(disposing);
    }
}
