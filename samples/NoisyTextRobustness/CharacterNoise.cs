namespace NoisyTextRobustness;

/// <summary>
/// Seeded character-level noise: each letter is, with probability <paramref name="rate"/>, hit by one of four edits
/// chosen uniformly: its case flipped, swapped with the next character, replaced by a look-alike from another script
/// (Cyrillic/Greek homoglyphs), or followed by an inserted space.
/// </summary>
public sealed class CharacterNoise(double rate, int seed)
{
    static readonly Dictionary<char, char> Homoglyphs = new()
    {
        ['a'] = 'а', ['c'] = 'с', ['e'] = 'е', ['i'] = 'і', ['o'] = 'о', ['p'] = 'р', ['x'] = 'х', ['y'] = 'у',
        ['A'] = 'Α', ['B'] = 'Β', ['E'] = 'Ε', ['H'] = 'Η', ['K'] = 'Κ', ['M'] = 'Μ', ['O'] = 'Ο', ['T'] = 'Τ',
    };

    /// <summary>The noisy copy of <paramref name="text"/>; the same (text, index) always gets the same noise.</summary>
    public string Apply(string text, int index)
    {
        var rng = new Random(HashCode.Combine(seed, index));
        var chars = new List<char>(text.Length + 16);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (!char.IsLetter(c) || rng.NextDouble() >= rate)
            {
                chars.Add(c);
                continue;
            }
            switch (rng.Next(4))
            {
                case 0: chars.Add(char.IsUpper(c) ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c)); break;
                case 1 when i + 1 < text.Length: chars.Add(text[i + 1]); chars.Add(c); i++; break;
                case 1: chars.Add(c); break;
                case 2: chars.Add(Homoglyphs.GetValueOrDefault(c, c)); break;
                default: chars.Add(c); chars.Add(' '); break;
            }
        }
        return new string(chars.ToArray());
    }
}
