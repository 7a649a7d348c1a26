using Microsoft.ML;

namespace MLNetExt.Training.MLNet;

/// <summary>
/// What <see cref="ScoringTransformer{TItem, TResult}.Transform"/> returns: a lazy view over the input that scores
/// only when a cursor asks for an output column. Parallel cursor sets get one cursor: batching already keeps the
/// model busy, and a single stream keeps rows in order.
/// </summary>
sealed class ScoringDataView<TItem, TResult>(ScoringTransformer<TItem, TResult> model, IDataView source, ScoringBindings<TResult> bindings)
    : IDataView
{
    public DataViewSchema Schema => bindings.OutputSchema;
    public bool CanShuffle => source.CanShuffle;
    public long? GetRowCount() => source.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var active = columnsNeeded.ToArray();
        var input = source.GetRowCursor(bindings.Dependencies(active, out bool scores), rand);
        if (!scores) return new PassThroughCursor<TResult>(bindings, input);
        var outputs = active.Where(c => bindings.IsOutput(c.Index)).Select(c => c.Index).Distinct().ToArray();
        return new ScoringCursor<TItem, TResult>(model, bindings, input, outputs);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];
}
