using System.Buffers.Binary;
using System.Text.Json;
using static TorchSharp.torch;

namespace MLNetExt.Training.Checkpoints;

/// <summary>
/// The header of a safetensors file or stream, validated against the stream's length before any tensor is read:
/// an 8-byte little-endian header length, a JSON table of {dtype, shape, data_offsets}, then the raw bytes. As the
/// format requires, the tensors tile the data section exactly (no overlap, no hole, nothing after the last).
/// Every error names <see cref="Source"/> (a file path, or a zip entry) and the tensor.
/// </summary>
internal sealed class SafetensorsHeader
{
    const long MaxHeaderBytes = 100_000_000;

    public sealed record Entry(string DType, long[] Shape, long Begin, long End)
    {
        public ScalarType ScalarType => DTypes[DType].Type;
        public long Elements => Shape.Aggregate(1L, (a, b) => a * b);
        public string Describe() => $"{DType}{SafetensorsLoader.Shape(Shape)}";
    }

    static readonly Dictionary<string, (ScalarType Type, int Size)> DTypes = new()
    {
        ["F64"] = (ScalarType.Float64, 8), ["F32"] = (ScalarType.Float32, 4), ["F16"] = (ScalarType.Float16, 2),
        ["BF16"] = (ScalarType.BFloat16, 2), ["I64"] = (ScalarType.Int64, 8), ["I32"] = (ScalarType.Int32, 4),
        ["I16"] = (ScalarType.Int16, 2), ["I8"] = (ScalarType.Int8, 1), ["U8"] = (ScalarType.Byte, 1), ["BOOL"] = (ScalarType.Bool, 1),
    };

    /// <summary>Where the tensors come from, for messages: "file /path/model.safetensors" or a zip entry.</summary>
    public string Source { get; }
    /// <summary>The file read, or null for a stream.</summary>
    public string? File { get; }
    public IReadOnlyDictionary<string, Entry> Tensors { get; }
    /// <summary>Stream position of the data section (tensor offsets count from here).</summary>
    public long DataStart { get; }
    /// <summary>Values over all tensors.</summary>
    public long TotalElements { get; }

    SafetensorsHeader(string source, Dictionary<string, Entry> tensors, long dataStart, string? file)
    {
        (Source, Tensors, DataStart, File) = (source, tensors, dataStart, file);
        TotalElements = tensors.Values.Sum(e => e.Elements);
    }

    /// <summary>Reads and validates a file's header; throws <see cref="FileNotFoundException"/> or <see cref="InvalidDataException"/> naming the file.</summary>
    public static SafetensorsHeader Read(string path)
    {
        if (!System.IO.File.Exists(path)) throw new FileNotFoundException($"Checkpoint file not found: {path}", path);
        using var f = System.IO.File.OpenRead(path);
        return Read(f, $"file {path}", path);
    }

    /// <summary>Reads and validates the header at the start of a seekable <paramref name="stream"/>, named <paramref name="source"/> in errors.</summary>
    public static SafetensorsHeader Read(Stream stream, string source) => Read(stream, source, file: null);

    static SafetensorsHeader Read(Stream stream, string source, string? file)
    {
        long size = stream.Length - stream.Position;
        if (size < 8) throw Corrupt(source, $"it has {size} bytes, fewer than the 8-byte header length");
        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > MaxHeaderBytes) throw Corrupt(source, $"the header claims {headerLength} bytes; a real one needs at most {MaxHeaderBytes}");
        if (headerLength > (ulong)(size - 8)) throw Corrupt(source, $"the header claims {headerLength} bytes but {size - 8} follow the length (truncated?)");
        var json = new byte[headerLength];
        stream.ReadExactly(json);
        long dataStart = stream.Position, dataSize = size - 8 - (long)headerLength;
        var tensors = new Dictionary<string, Entry>();
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Corrupt(source, "the header is not a JSON object");
            foreach (var p in doc.RootElement.EnumerateObject())
                if (p.Name != "__metadata__") tensors[p.Name] = ReadEntry(p, source);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw Corrupt(source, $"the header is not a valid safetensors table ({e.Message})");
        }
        CheckTiling(tensors, dataSize, source);
        return new SafetensorsHeader(source, tensors, dataStart, file);
    }

    static Entry ReadEntry(JsonProperty p, string source)
    {
        string dtype = p.Value.GetProperty("dtype").GetString() ?? "";
        long[] shape = [.. p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64())];
        long[] span = [.. p.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64())];
        if (!DTypes.TryGetValue(dtype, out var type))
            throw Corrupt(source, $"tensor '{p.Name}' has dtype \"{dtype}\"; expected one of {string.Join(", ", DTypes.Keys)}");
        if (shape.Any(d => d < 0)) throw Corrupt(source, $"tensor '{p.Name}' has a negative dimension in shape {SafetensorsLoader.Shape(shape)}");
        if (span.Length != 2 || span[0] < 0 || span[1] < span[0])
            throw Corrupt(source, $"tensor '{p.Name}' has data_offsets [{string.Join(", ", span)}]; expected [begin, end] with 0 <= begin <= end");
        long bytes;
        try { bytes = checked(shape.Aggregate(1L, (a, b) => a * b) * type.Size); }
        catch (OverflowException) { throw Corrupt(source, $"tensor '{p.Name}' has shape {SafetensorsLoader.Shape(shape)}, too many values to address"); }
        if (span[1] - span[0] != bytes)
            throw Corrupt(source, $"tensor '{p.Name}' {dtype}{SafetensorsLoader.Shape(shape)} needs {bytes} bytes but its data_offsets [{span[0]}, {span[1]}] span {span[1] - span[0]}");
        return new Entry(dtype, shape, span[0], span[1]);
    }

    /// <summary>The tensors must cover the data section exactly, in order: a gap, an overlap or a short file means corrupt offsets.</summary>
    static void CheckTiling(Dictionary<string, Entry> tensors, long dataSize, string source)
    {
        long at = 0;
        foreach (var (name, e) in tensors.OrderBy(t => t.Value.Begin).ThenBy(t => t.Value.End))
        {
            if (e.Begin != at)
                throw Corrupt(source, e.Begin < at
                    ? $"tensor '{name}' starts at byte {e.Begin}, inside the previous tensor (which ends at {at}): data_offsets overlap"
                    : $"tensor '{name}' starts at byte {e.Begin} but the previous tensor ends at {at}: data_offsets leave a gap");
            if (e.End > dataSize)
                throw Corrupt(source, $"tensor '{name}' ends at byte {e.End} of the data section but only {dataSize} bytes follow the header (truncated?)");
            at = e.End;
        }
        if (at != dataSize) throw Corrupt(source, $"the tensors end at byte {at} of the data section but {dataSize} bytes follow the header");
    }

    static InvalidDataException Corrupt(string source, string why) => new($"Corrupt safetensors {source}: {why}.");
}
