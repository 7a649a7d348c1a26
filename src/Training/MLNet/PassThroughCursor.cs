using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetExt.Training.MLNet;

/// <summary>A cursor for when no output column is active: the input's rows under the output schema, no model calls.</summary>
sealed class PassThroughCursor<TResult>(ScoringBindings<TResult> bindings, DataViewRowCursor input) : DataViewRowCursor
{
    public override DataViewSchema Schema => bindings.OutputSchema;
    public override long Position => input.Position;
    public override long Batch => input.Batch;
    public override bool MoveNext() => input.MoveNext();

    public override bool IsColumnActive(DataViewSchema.Column column) =>
        !bindings.IsOutput(column.Index) && input.IsColumnActive(bindings.InputSchema[column.Index]);

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) =>
        IsColumnActive(column) ? input.GetGetter<TValue>(bindings.InputSchema[column.Index])
            : throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor.");

    public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();

    protected override void Dispose(bool disposing)
    {
        if (disposing) input.Dispose();
        base.Dispose(disposing);
    }
}
