#:project ../src/Training/Training.csproj
#:property PublishAot=false
// Writes tests/MLNetExt.Tests/Fixtures/spamassassin-sample.jsonl.gz: a deterministic sample of the SpamAssassin
// corpus (public domain / PDDL) for the tokenizer parity tests, which must run without the network.
// Run from the repository root: dotnet run tools/MakeTokenizerFixture.cs [every=3] [maxChars=4000]
using System.IO.Compression;
using System.Text.Json;
using MLNetExt.Training.Data;

int every = args.Length > 0 ? int.Parse(args[0]) : 3;
int maxChars = args.Length > 1 ? int.Parse(args[1]) : 4000;
string output = Path.Combine("tests", "MLNetExt.Tests", "Fixtures", "spamassassin-sample.jsonl.gz");

var emails = SpamAssassin.Load();
Directory.CreateDirectory(Path.GetDirectoryName(output)!);
using (var gz = new GZipStream(File.Create(output), CompressionLevel.SmallestSize))
using (var writer = new StreamWriter(gz))
{
    for (int i = 0; i < emails.Count; i += every)
    {
        var e = emails[i];
        int length = Math.Min(e.Text.Length, maxChars);
        if (length > 0 && char.IsHighSurrogate(e.Text[length - 1])) length--; // never split a surrogate pair
        writer.WriteLine(JsonSerializer.Serialize(new { id = e.Id, group = e.Group, text = e.Text[..length] }));
    }
}
Console.WriteLine($"{output}: {(emails.Count + every - 1) / every} of {emails.Count} emails, {new FileInfo(output).Length:N0} bytes");
