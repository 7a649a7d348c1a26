using System.Buffers.Binary;
using System.Text.Json;

namespace MLNetExt.ModernBert;

/// <summary>
/// The header of a .safetensors file, checked against the file's size before any native reader touches it:
/// an 8-byte little-endian header length, a JSON table of {dtype, shape, data_offsets}, then the raw bytes.
/// </summary>
public sealed record SafetensorsHeader(IReadOnlyDictionary<string, SafetensorsHeader.Entry> Tensors)
{
    public sealed record Entry(string DType, long[] Shape, long Begin, long End);

    static readonly Dictionary<string, int> ElementSize = new()
    {
        ["F64"] = 8, ["F32"] = 4, ["F16"] = 2, ["BF16"] = 2, ["I64"] = 8, ["I32"] = 4, ["I16"] = 2, ["I8"] = 1, ["U8"] = 1, ["BOOL"] = 1,
    };

    /// <summary>Reads and validates the header; throws <see cref="InvalidDataException"/> naming the file and the problem.</summary>
    public static SafetensorsHeader Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Checkpoint file not found: {path}", path);
        using var f = File.OpenRead(path);
        long size = f.Length;
        if (size < 8) throw Corrupt(path, $"the file has {size} bytes, fewer than the 8-byte header length");
        Span<byte> prefix = stackalloc byte[8];
        f.ReadExactly(prefix);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > (ulong)(size - 8) || headerLength > 100_000_000)
            throw Corrupt(path, $"the header claims {headerLength} bytes but the file has {size - 8} after the length");
        var json = new byte[headerLength];
        f.ReadExactly(json);
        long dataSize = size - 8 - (long)headerLength;
        var tensors = new Dictionary<string, Entry>();
        try
        {
            using var doc = JsonDocument.Parse(json);
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.Name == "__metadata__") continue;
                string dtype = p.Value.GetProperty("dtype").GetString() ?? "";
                long[] shape = p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                long[] span = p.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                if (!ElementSize.TryGetValue(dtype, out int elementSize)) throw Corrupt(path, $"tensor '{p.Name}' has unsupported dtype {dtype}");
                if (span.Length != 2 || span[0] < 0 || span[1] < span[0]) throw Corrupt(path, $"tensor '{p.Name}' has invalid data_offsets");
                long expected = shape.Aggregate(1L, (a, b) => a * b) * elementSize;
                if (span[1] - span[0] != expected)
                    throw Corrupt(path, $"tensor '{p.Name}' {dtype}[{string.Join(", ", shape)}] needs {expected} bytes but its data_offsets span {span[1] - span[0]}");
                if (span[1] > dataSize)
                    throw Corrupt(path, $"tensor '{p.Name}' ends at byte {span[1]} of the data section but the file holds only {dataSize} (truncated?)");
                tensors[p.Name] = new Entry(dtype, shape, span[0], span[1]);
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw Corrupt(path, $"the header is not a valid safetensors table ({e.Message})");
        }
        return new SafetensorsHeader(tensors);
    }

    static InvalidDataException Corrupt(string path, string why) => new($"Corrupt safetensors file {path}: {why}.");
}
