using System.CommandLine;
using BatchScoring;

if (args.Length == 0) return Demo.Run();

var model = new Option<FileInfo>("--model") { Description = "A saved ML.NET model (mlContext.Model.Save).", Required = true };
var input = new Option<FileInfo>("--input") { Description = "The TSV to score: a header line, tab-separated, \\t \\n \\r \\\\ escapes inside fields.", Required = true };
var output = new Option<FileInfo>("--output") { Description = "The scored TSV; rerunning resumes after its last committed row (see <output>.progress).", Required = true };
var textColumn = new Option<string>("--text-column") { Description = "The input column holding the text.", DefaultValueFactory = _ => "Text" };
var columns = new Option<string?>("--columns") { Description = "Comma-separated columns to write (input or scored); default: the model's prediction columns." };
var root = new RootCommand("Scores a TSV of any size with a saved ML.NET model, resumably. No arguments: a demo on the SpamAssassin corpus.")
{
    model, input, output, textColumn, columns,
};
root.SetAction(parsed => ScoreCommand.Run(parsed.GetValue(model)!.FullName, parsed.GetValue(input)!.FullName, parsed.GetValue(output)!.FullName,
    new BatchScoringOptions { TextColumn = parsed.GetValue(textColumn)!, Columns = parsed.GetValue(columns)?.Split(',', StringSplitOptions.TrimEntries) }));
// ScoreCommand owns Ctrl+C (commit, then exit), so System.CommandLine must not handle termination signals.
return root.Parse(args).Invoke(new InvocationConfiguration { ProcessTerminationTimeout = null });
