using System.Text;

namespace MLNetExt.Blt;

/// <summary>
/// BLT's byte "tokenizer": byte b becomes id b + 4; ids 0-3 are specials. Vocabulary 260.
/// Strings are encoded as UTF-8 with replacement: a lone UTF-16 surrogate becomes U+FFFD (bytes EF BF BD), so every
/// string encodes deterministically. Raw byte arrays pass through untouched, so invalid UTF-8 survives
/// <see cref="Encode(ReadOnlySpan{byte}, bool, bool)"/> / <see cref="DecodeBytes"/> exactly; only <see cref="Decode"/>
/// (bytes to a .NET string) replaces each invalid UTF-8 sequence by U+FFFD, as the UTF-8 standard prescribes.
/// </summary>
public static class ByteTokenizer
{
    /// <summary>Beginning of "encoder"; also the padding id.</summary>
    public const long Boe = 0;
    public const long Bos = 1;
    public const long Eos = 2;
    /// <summary>BPE delimiter (kept for vocabulary compatibility; the byte model never emits it).</summary>
    public const long BpeDelimiter = 3;
    public const int Offset = 4;
    public const int VocabSize = 256 + Offset;

    static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    public static long[] Encode(string text, bool addBos = true, bool addEos = false) =>
        Encode(Utf8.GetBytes(text), addBos, addEos);

    public static long[] Encode(ReadOnlySpan<byte> bytes, bool addBos = true, bool addEos = false)
    {
        var ids = new long[bytes.Length + (addBos ? 1 : 0) + (addEos ? 1 : 0)];
        int i = 0;
        if (addBos) ids[i++] = Bos;
        foreach (byte b in bytes) ids[i++] = b + Offset;
        if (addEos) ids[i] = Eos;
        return ids;
    }

    /// <summary>The bytes behind <paramref name="ids"/>; special ids are dropped, ids outside the vocabulary throw.</summary>
    public static byte[] DecodeBytes(ReadOnlySpan<long> ids)
    {
        var bytes = new List<byte>(ids.Length);
        for (int i = 0; i < ids.Length; i++)
        {
            long id = ids[i];
            if (id < 0 || id >= VocabSize) throw new ArgumentOutOfRangeException(nameof(ids), id, $"Id at index {i} is outside the byte vocabulary [0, {VocabSize}).");
            if (id >= Offset) bytes.Add((byte)(id - Offset));
        }
        return bytes.ToArray();
    }

    public static string Decode(ReadOnlySpan<long> ids) => Utf8.GetString(DecodeBytes(ids));
}
