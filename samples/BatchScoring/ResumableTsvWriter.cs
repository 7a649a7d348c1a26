using System.Globalization;
using System.Text;

namespace BatchScoring;

/// <summary>
/// An output TSV that survives being stopped: rows are appended to <c>&lt;output&gt;</c>, and <see cref="Commit"/>
/// fsyncs them, then atomically replaces the sidecar <c>&lt;output&gt;.progress</c> with "rows bytes": how many rows
/// (and bytes) are durably in the file. Reopening cuts the file back to those bytes, dropping any rows written after
/// the last commit, so the caller skips exactly <see cref="RowsDone"/> input rows and the finished file is identical
/// to an uninterrupted run's.
/// </summary>
public sealed class ResumableTsvWriter : IDisposable
{
    readonly FileStream _file;
    readonly StringBuilder _line = new();
    long _committedRows;

    public string OutputPath { get; }
    public string ProgressPath => OutputPath + ".progress";
    /// <summary>Rows in the file so far, committed or not (excluding the header).</summary>
    public long RowsDone { get; private set; }
    /// <summary>Rows that were already committed when this writer opened the file.</summary>
    public long RowsResumed { get; }

    ResumableTsvWriter(string outputPath, FileStream file, long rows)
        => (OutputPath, _file, RowsDone, RowsResumed, _committedRows) = (outputPath, file, rows, rows, rows);

    /// <summary>
    /// Resumes <paramref name="outputPath"/> when it and its sidecar exist (its header must equal
    /// <paramref name="header"/>), otherwise starts it afresh with <paramref name="header"/>.
    /// </summary>
    public static ResumableTsvWriter Open(string outputPath, IReadOnlyList<string> header)
    {
        outputPath = Path.GetFullPath(outputPath);
        string headerLine = string.Join('\t', header.Select(TsvEscaping.Escape)) + "\n";
        string progress = outputPath + ".progress";
        if (File.Exists(outputPath) && File.Exists(progress))
        {
            var (rows, bytes) = ReadProgress(progress);
            var file = new FileStream(outputPath, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
            try
            {
                if (file.Length < bytes)
                    throw new InvalidDataException($"{outputPath} has {file.Length} bytes but {progress} records {bytes} committed; the pair is inconsistent: delete both to start over.");
                string existing = FirstLine(file);
                if (existing != headerLine)
                    throw new InvalidDataException($"{outputPath} has the columns '{existing.TrimEnd('\n')}' but this run writes '{headerLine.TrimEnd('\n')}'; use another output file or delete it and {progress}.");
                file.SetLength(bytes);
                file.Seek(bytes, SeekOrigin.Begin);
                return new ResumableTsvWriter(outputPath, file, rows);
            }
            catch
            {
                file.Dispose();
                throw;
            }
        }
        var fresh = new FileStream(outputPath, FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
        var writer = new ResumableTsvWriter(outputPath, fresh, 0);
        fresh.Write(Encoding.UTF8.GetBytes(headerLine));
        writer.Commit();
        return writer;
    }

    /// <summary>Appends one row; fields are escaped here. Not durable until <see cref="Commit"/>.</summary>
    public void WriteRow(IReadOnlyList<string> fields)
    {
        _line.Clear();
        for (int i = 0; i < fields.Count; i++)
        {
            if (i > 0) _line.Append('\t');
            _line.Append(TsvEscaping.Escape(fields[i]));
        }
        _line.Append('\n');
        _file.Write(Encoding.UTF8.GetBytes(_line.ToString()));
        RowsDone++;
    }

    /// <summary>Makes every row written so far durable: data first (fsync), then the sidecar swapped in by rename.</summary>
    public void Commit()
    {
        _file.Flush(flushToDisk: true);
        string temp = ProgressPath + ".tmp";
        using (var sidecar = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            sidecar.Write(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{RowsDone} {_file.Position}\n")));
            sidecar.Flush(flushToDisk: true);
        }
        File.Move(temp, ProgressPath, overwrite: true);
        _committedRows = RowsDone;
    }

    /// <summary>Commits what was written (every row is whole, so stopping here is safe) and closes the file.</summary>
    public void Dispose()
    {
        if (RowsDone != _committedRows) Commit();
        _file.Dispose();
    }

    static (long Rows, long Bytes) ReadProgress(string path)
    {
        string text = File.ReadAllText(path).Trim();
        var parts = text.Split(' ');
        if (parts.Length == 2 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long rows)
            && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long bytes))
            return (rows, bytes);
        throw new InvalidDataException($"{path} should hold 'rows bytes' (two whole numbers) but holds '{text}'.");
    }

    static string FirstLine(FileStream file)
    {
        var bytes = new List<byte>();
        int b;
        while ((b = file.ReadByte()) >= 0)
        {
            bytes.Add((byte)b);
            if (b == '\n') break;
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }
}
