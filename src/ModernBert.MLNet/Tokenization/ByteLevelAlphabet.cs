using System.Text;

namespace MLNetExt.ModernBert.Tokenization;

/// <summary>
/// GPT-2's reversible byte-to-character map: every byte gets a printable character, so a byte-level BPE vocabulary
/// can be stored as ordinary strings (a space byte becomes 'Ġ').
/// </summary>
internal static class ByteLevelAlphabet
{
    static readonly char[] ByteToChar = BuildByteToChar();
    static readonly Dictionary<char, byte> CharToByte =
        Enumerable.Range(0, 256).ToDictionary(b => ByteToChar[b], b => (byte)b);

    static char[] BuildByteToChar()
    {
        // Printable Latin-1 bytes map to themselves; the other 68 bytes take code points from 256 upwards, in order.
        var map = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= '¡' and <= '¬' or >= '®' and <= 'ÿ';
            map[b] = printable ? (char)b : (char)next++;
        }
        return map;
    }

    /// <summary>The vocabulary string of a byte sequence.</summary>
    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        return string.Create(bytes.Length, bytes.ToArray(), static (chars, source) =>
        {
            for (int i = 0; i < source.Length; i++) chars[i] = ByteToChar[source[i]];
        });
    }

    /// <summary>Appends a vocabulary token's bytes. Like HF's ByteLevel decoder, a token with any character outside
    /// the alphabet (an added token such as a run of spaces) contributes its own UTF-8 bytes instead.</summary>
    public static void AppendBytes(string token, List<byte> output)
    {
        foreach (char c in token)
        {
            if (!CharToByte.ContainsKey(c))
            {
                output.AddRange(Encoding.UTF8.GetBytes(token));
                return;
            }
        }
        foreach (char c in token) output.Add(CharToByte[c]);
    }
}
