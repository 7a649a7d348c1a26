using System.Collections;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace MLNetExt.Training.MLNet;

/// <summary>
/// Scores gathered rows as one pass of a transformer: the rows are the input view's rows, the transformed view is
/// read back as typed objects. The input view, its <c>Transform</c> (lazy, so nothing runs until a cursor reads it)
/// and the typed output binding are built once, so a batch costs one cursor and no schema reflection. A
/// batching model (every <see cref="ScoringTransformer{TItem, TResult}"/>) scores the pass in packed model calls.
/// Not thread-safe: one scorer thread calls <see cref="Score"/>.
/// </summary>
sealed class BatchScorer<TSrc, TDst>
    where TSrc : class
    where TDst : class, new()
{
    readonly BatchRows _rows = new();
    readonly TypedCursorable<TDst> _outputs;

    /// <summary>Binds both types and checks the transformer accepts the input; a mismatch fails here, naming the column.</summary>
    public BatchScorer(IHostEnvironment env, ITransformer transformer, MicroBatchPredictionEngineOptions options)
    {
        var input = DataViewConstructionUtils.CreateFromEnumerable(env, _rows, options.InputSchemaDefinition);
        _outputs = TypedCursorable<TDst>.Create(env, transformer.Transform(input), options.IgnoreMissingColumns, options.OutputSchemaDefinition);
    }

    /// <summary>One result per row, in order. Throws what the transformer throws, or if it does not map rows one to one.</summary>
    public TDst[] Score(IReadOnlyList<TSrc> rows)
    {
        _rows.Current = rows;
        try
        {
            var results = new TDst[rows.Count];
            using var cursor = OneCursor();
            var getId = cursor.GetIdGetter();
            DataViewRowId id = default;
            int count = 0;
            while (cursor.MoveNext())
            {
                // The input view numbers its rows 0, 1, ...; row-to-row transforms keep those ids, so a row whose id
                // is not its position would be some other request's answer.
                getId(ref id);
                if (count == rows.Count || !id.Equals(new DataViewRowId((ulong)count, 0))) throw NotRowToRow(rows.Count);
                var result = new TDst();
                cursor.FillValues(result);
                results[count++] = result;
            }
            if (count != rows.Count) throw NotRowToRow(rows.Count);
            return results;
        }
        finally
        {
            _rows.Current = [];  // don't keep callers' inputs alive
        }
    }

    /// <summary>
    /// A cursor set of one: a plain cursor lets ML.NET split the rows across new threads behind a row-to-row
    /// transform and merge them again (its parallel cursors), threads started for every batch, with the model
    /// running on one of them. Asked for one cursor, every transform stays on this thread.
    /// </summary>
    RowCursor<TDst> OneCursor()
    {
        var cursors = _outputs.GetCursorSet(_ => false, 1, null);
        if (cursors.Length == 1) return cursors[0];
        foreach (var cursor in cursors) cursor.Dispose();
        return _outputs.GetCursor();
    }

    static InvalidOperationException NotRowToRow(int rows) =>
        new($"The transformer did not return exactly one row per input row, in order, for a batch of {rows}; only row-to-row transformers can serve predictions.");

    /// <summary>The rows of the batch being scored, enumerated afresh by each cursor of the input view.</summary>
    sealed class BatchRows : IEnumerable<TSrc>
    {
        public IReadOnlyList<TSrc> Current { get; set; } = [];
        public IEnumerator<TSrc> GetEnumerator() => Current.GetEnumerator();
        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
