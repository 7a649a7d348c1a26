using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetExt.Training.MLNet;

/// <summary>
/// The row-to-row path prediction engines use: each input row is scored alone, through the same batched model
/// call as <see cref="ScoringCursor{TItem, TResult}"/> with a batch of one, once per row position however many
/// output columns are read.
/// </summary>
sealed class ScoringRowMapper<TItem, TResult>(ScoringTransformer<TItem, TResult> model, ScoringBindings<TResult> bindings)
    : IRowToRowMapper
{
    public DataViewSchema InputSchema => bindings.InputSchema;
    public DataViewSchema OutputSchema => bindings.OutputSchema;

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns) =>
        bindings.Dependencies(dependingColumns, out _);

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns) =>
        new ScoredRow(model, bindings, input, activeColumns.Select(c => c.Index).ToHashSet());

    sealed class ScoredRow : DataViewRow
    {
        readonly ScoringBindings<TResult> _bindings;
        readonly DataViewRow _input;
        readonly HashSet<int> _active;
        readonly Delegate?[] _outputs;
        readonly Func<TResult> _current;

        public ScoredRow(ScoringTransformer<TItem, TResult> model, ScoringBindings<TResult> bindings, DataViewRow input, HashSet<int> active)
        {
            _bindings = bindings;
            _input = input;
            _active = active;
            _outputs = new Delegate?[bindings.Outputs.Count];
            if (!active.Any(bindings.IsOutput))
            {
                _current = () => throw new InvalidOperationException("No output column is active.");
                return;
            }
            var readItem = model.ItemReader(input);
            long scoredPosition = -1;
            TResult result = default!;
            _current = () =>
            {
                if (scoredPosition != input.Position)
                {
                    result = model.Score([readItem()])[0];
                    scoredPosition = input.Position;
                }
                return result;
            };
            foreach (int index in active.Where(bindings.IsOutput))
                _outputs[index - bindings.InputSchema.Count] = bindings.Output(index).MakeGetter(_current);
        }

        public override DataViewSchema Schema => _bindings.OutputSchema;
        public override long Position => _input.Position;
        public override long Batch => _input.Batch;

        public override bool IsColumnActive(DataViewSchema.Column column) => _active.Contains(column.Index);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!IsColumnActive(column)) throw new InvalidOperationException($"Column '{column.Name}' is not active in this row.");
            if (!_bindings.IsOutput(column.Index)) return _input.GetGetter<TValue>(_bindings.InputSchema[column.Index]);
            return _outputs[column.Index - _bindings.InputSchema.Count] as ValueGetter<TValue>
                ?? throw _bindings.WrongType(column, typeof(TValue));
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();
    }
}
