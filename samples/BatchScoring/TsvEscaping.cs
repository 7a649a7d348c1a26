using System.Text;

namespace BatchScoring;

/// <summary>
/// The TSV dialect this sample reads and writes: one row per line, fields split by tabs, and inside a field a
/// backslash escapes tab (<c>\t</c>), newline (<c>\n</c>), carriage return (<c>\r</c>) and itself (<c>\\</c>), so any
/// text fits on one line and a file can be split, counted and resumed by lines.
/// </summary>
public static class TsvEscaping
{
    public static string Escape(string field)
    {
        if (field.AsSpan().IndexOfAny("\t\n\r\\") < 0) return field;
        var sb = new StringBuilder(field.Length + 8);
        foreach (char c in field)
            sb.Append(c switch { '\t' => @"\t", '\n' => @"\n", '\r' => @"\r", '\\' => @"\\", _ => c.ToString() });
        return sb.ToString();
    }

    /// <summary>The inverse of <see cref="Escape"/>; a backslash before any other character is kept as is.</summary>
    public static string Unescape(string field)
    {
        if (!field.Contains('\\')) return field;
        var sb = new StringBuilder(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            char c = field[i];
            if (c != '\\' || i + 1 == field.Length) { sb.Append(c); continue; }
            char next = field[++i];
            sb.Append(next switch { 't' => "\t", 'n' => "\n", 'r' => "\r", '\\' => "\\", _ => "\\" + next });
        }
        return sb.ToString();
    }
}
