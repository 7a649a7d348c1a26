using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace BatchScoring;

/// <summary>How <see cref="BatchScorer.Score"/> reads the input and what it writes.</summary>
public sealed record BatchScoringOptions
{
    /// <summary>The input column holding the text; it reaches the model, unescaped, as <see cref="ModelTextColumn"/>.</summary>
    public string TextColumn { get; init; } = "Text";
    /// <summary>The text column's name in the model's input schema.</summary>
    public string ModelTextColumn { get; init; } = "Text";
    /// <summary>Columns to write, input or scored; null writes the model's prediction columns.</summary>
    public IReadOnlyList<string>? Columns { get; init; }
    /// <summary>How often written rows are made durable (and the resume point moves on).</summary>
    public TimeSpan CommitInterval { get; init; } = TimeSpan.FromSeconds(2);
}

/// <summary>What one <see cref="BatchScorer.Score"/> call did.</summary>
public sealed record BatchScoringResult(long RowsResumed, long RowsScored, TimeSpan Elapsed)
{
    public double RowsPerSecond => RowsScored / Math.Max(Elapsed.TotalSeconds, 1e-9);
}

/// <summary>
/// Streams a TSV (see <see cref="TsvEscaping"/>; first line = column names) through a fitted model into an output TSV
/// with bounded memory: ML.NET's TextLoader reads the file lazily, the model's Transform scores it batch by batch, and
/// <see cref="ResumableTsvWriter"/> appends the requested columns. A stopped run resumes where its last commit ended.
/// </summary>
public static class BatchScorer
{
    /// <param name="modelInputSchema">The schema the model was saved with; input columns it needs that the TSV lacks are read as empty (e.g. the label a training pipeline maps).</param>
    /// <param name="progress">Rows in the output so far (resumed ones included), after every row.</param>
    /// <exception cref="OperationCanceledException">After committing every row written, when <paramref name="cancellationToken"/> fires.</exception>
    public static BatchScoringResult Score(MLContext mlContext, ITransformer model, DataViewSchema? modelInputSchema, string inputPath, string outputPath,
        BatchScoringOptions options, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        var header = ReadHeader(inputPath);
        if (!header.Contains(options.TextColumn))
            throw new ArgumentException($"{inputPath} has no column '{options.TextColumn}' (its columns: {string.Join(", ", header)}); pass the text column's name.", nameof(options));
        var input = Load(mlContext, inputPath, header, modelInputSchema, options.ModelTextColumn);
        var scoredSchema = model.GetOutputSchema(Unescape(mlContext, input, options).Schema);
        var columns = OutputColumns(scoredSchema, input.Schema, options.Columns);

        using var writer = ResumableTsvWriter.Open(outputPath, columns.Select(c => c.Name).ToList());
        var clock = Stopwatch.StartNew();
        // Resumed rows are skipped before the model, so they are read but never scored again.
        var remaining = writer.RowsResumed > 0 ? mlContext.Data.SkipRows(input, writer.RowsResumed) : input;
        var scored = model.Transform(Unescape(mlContext, remaining, options));
        using var cursor = scored.GetRowCursor(columns.Select(c => scored.Schema[c.Name]));
        var formatters = columns.Select(c => ColumnFormatter.For(cursor, scored.Schema[c.Name])).ToArray();
        var fields = new string[formatters.Length];
        var sinceCommit = Stopwatch.StartNew();
        while (!cancellationToken.IsCancellationRequested && cursor.MoveNext())
        {
            for (int i = 0; i < formatters.Length; i++) fields[i] = formatters[i]();
            writer.WriteRow(fields);
            progress?.Report(writer.RowsDone);
            if (sinceCommit.Elapsed >= options.CommitInterval)
            {
                writer.Commit();
                sinceCommit.Restart();
            }
        }
        writer.Commit();
        cancellationToken.ThrowIfCancellationRequested();
        return new BatchScoringResult(writer.RowsResumed, writer.RowsDone - writer.RowsResumed, clock.Elapsed);
    }

    /// <summary>Data rows of a TSV (lines after the header), counted in one streaming pass over the bytes.</summary>
    public static long CountRows(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        var buffer = new byte[1 << 20];
        long lines = 0;
        int read, last = '\n';
        while ((read = file.Read(buffer)) > 0)
        {
            lines += buffer.AsSpan(0, read).Count((byte)'\n');
            last = buffer[read - 1];
        }
        if (last != '\n') lines++;
        return Math.Max(0, lines - 1);
    }

    static string[] ReadHeader(string path)
    {
        using var reader = new StreamReader(path);
        string line = reader.ReadLine() ?? throw new InvalidDataException($"{path} is empty; expected a header line of tab-separated column names.");
        return line.Split('\t').Select(TsvEscaping.Unescape).ToArray();
    }

    /// <summary>Every TSV column as text, plus the model's other input columns read as empty (past the last field).</summary>
    static IDataView Load(MLContext mlContext, string path, string[] header, DataViewSchema? modelInputSchema, string modelTextColumn)
    {
        var columns = header.Select((name, i) => new TextLoader.Column(name, DataKind.String, i)).ToList();
        foreach (var needed in modelInputSchema?.Where(c => !c.IsHidden && c.Name != modelTextColumn && !header.Contains(c.Name)) ?? [])
            columns.Add(new TextLoader.Column(needed.Name, KindOf(needed), columns.Count));
        return mlContext.Data.CreateTextLoader(new TextLoader.Options
        {
            Columns = [.. columns],
            Separators = ['\t'],
            HasHeader = true,
            AllowQuoting = false,
            AllowSparse = false,
            TrimWhitespace = false,
        }).Load(path);
    }

    static DataKind KindOf(DataViewSchema.Column column) => column.Type switch
    {
        TextDataViewType => DataKind.String,
        BooleanDataViewType => DataKind.Boolean,
        NumberDataViewType n when n.RawType == typeof(float) => DataKind.Single,
        NumberDataViewType n when n.RawType == typeof(double) => DataKind.Double,
        _ => throw new NotSupportedException($"The model needs input column '{column.Name}' of type {column.Type}, which the TSV lacks; add it to the file."),
    };

    /// <summary>The text column, unescaped, under the model's name for it.</summary>
    static IDataView Unescape(MLContext mlContext, IDataView data, BatchScoringOptions options)
    {
        var inputDefinition = SchemaDefinition.Create(typeof(EscapedText));
        inputDefinition[0].ColumnName = options.TextColumn;
        var outputDefinition = SchemaDefinition.Create(typeof(EscapedText));
        outputDefinition[0].ColumnName = options.ModelTextColumn;
        return mlContext.Transforms.CustomMapping<EscapedText, EscapedText>((from, to) => to.Value = TsvEscaping.Unescape(from.Value),
            contractName: null, inputDefinition, outputDefinition).Fit(data).Transform(data);
    }

    static List<DataViewSchema.Column> OutputColumns(DataViewSchema scored, DataViewSchema input, IReadOnlyList<string>? requested)
    {
        if (requested is not null)
            return requested.Select(name => scored.GetColumnOrNull(name)
                ?? throw new ArgumentException($"Column '{name}' is neither in the input nor produced by the model; available: {string.Join(", ", scored.Where(c => !c.IsHidden).Select(c => c.Name))}.")).ToList();
        var added = scored.Where(c => !c.IsHidden && input.GetColumnOrNull(c.Name) is null).ToList();
        var predictions = added.Where(c => c.Name is "PredictedLabel" or "Score" or "Probability").ToList();
        return predictions.Count > 0 ? predictions : added;
    }

    sealed class EscapedText
    {
        public string Value { get; set; } = "";
    }
}
