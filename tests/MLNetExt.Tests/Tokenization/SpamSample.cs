using System.IO.Compression;
using System.Text.Json;

namespace MLNetExt.Tests.Tokenization;

/// <summary>The committed SpamAssassin sample (Fixtures/spamassassin-sample.jsonl.gz): real, messy email texts.</summary>
internal static class SpamSample
{
    static readonly Lazy<IReadOnlyList<string>> All = new(() =>
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "spamassassin-sample.jsonl.gz");
        using var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress));
        var texts = new List<string>();
        while (reader.ReadLine() is { Length: > 0 } line)
        {
            using var doc = JsonDocument.Parse(line);
            texts.Add(doc.RootElement.GetProperty("text").GetString()!);
        }
        return texts;
    });

    public static IReadOnlyList<string> Texts => All.Value;
}
