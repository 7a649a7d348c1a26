using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;

namespace MLNetExt.Tests.Training;

/// <summary>
/// Damages model files the way users' files arrive damaged: safetensors with a cut tail, wrong offsets, a wrong
/// dtype or a transposed shape; JSON that is not JSON or names absurd sizes; all of it inside a model zip's entry
/// or in a folder.
/// </summary>
static class Tampering
{
    /// <summary>The damage cases every weights path is tested with.</summary>
    public const string Truncated = "truncated", ShortOffsets = "short-offsets", ShiftedOffsets = "shifted-offsets",
        HalfDtype = "F16-dtype", IntegerDtype = "I32-dtype", Transposed = "transposed";

    /// <summary>
    /// Applies <paramref name="damage"/> to <paramref name="tensor"/> of a safetensors file; returns the new bytes.
    /// <paramref name="tensor"/> must be a 2-D F32 tensor with unequal sides. Shifted offsets keep the tensor's size but
    /// move it 4 bytes on, over its neighbour: a reader that trusts them loads shifted values without a word.
    /// </summary>
    public static byte[] Damage(byte[] file, string damage, string tensor) => damage switch
    {
        Truncated => file[..(file.Length - 100)],
        ShortOffsets => EditHeader(file, h => Offsets(h, tensor)[1] = Offsets(h, tensor)[1]!.GetValue<long>() - 4),
        ShiftedOffsets => EditHeader(file, h =>
        {
            var offsets = Offsets(h, tensor);
            h[tensor]!["data_offsets"] = new JsonArray(offsets[0]!.GetValue<long>() + 4, offsets[1]!.GetValue<long>() + 4);
        }),
        HalfDtype => EditHeader(file, h => h[tensor]!["dtype"] = "F16"),
        IntegerDtype => EditHeader(file, h => h[tensor]!["dtype"] = "I32"),
        Transposed => EditHeader(file, h => h[tensor]!["shape"] = new JsonArray(Shape(h, tensor).Reverse().Select(d => (JsonNode)d).ToArray())),
        _ => throw new ArgumentException($"Unknown damage {damage}.", nameof(damage)),
    };

    public static long[] Shape(JsonObject header, string tensor) => [.. header[tensor]!["shape"]!.AsArray().Select(d => d!.GetValue<long>())];

    public static JsonObject Header(byte[] file) =>
        JsonNode.Parse(file.AsSpan(8, (int)BinaryPrimitives.ReadInt64LittleEndian(file)))!.AsObject();

    /// <summary>Rewrites the header JSON, keeping the data section byte for byte.</summary>
    public static byte[] EditHeader(byte[] file, Action<JsonObject> edit)
    {
        int length = (int)BinaryPrimitives.ReadInt64LittleEndian(file);
        var header = Header(file);
        edit(header);
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        var prefix = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(prefix, json.Length);
        return [.. prefix, .. json, .. file.AsSpan(8 + length)];
    }

    static JsonArray Offsets(JsonObject header, string tensor) => header[tensor]!["data_offsets"]!.AsArray();

    /// <summary>Edits a JSON file in place.</summary>
    public static void EditJson(string path, Action<JsonObject> edit)
    {
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(json);
        File.WriteAllText(path, json.ToJsonString());
    }

    /// <summary>The full name of the one entry of <paramref name="zip"/> ending with <paramref name="suffix"/> (e.g. "/Weights.safetensors").</summary>
    public static string EntryName(string zip, string suffix)
    {
        using var archive = ZipFile.OpenRead(zip);
        return archive.Entries.Single(e => e.FullName.Replace('\\', '/').EndsWith(suffix, StringComparison.Ordinal)).FullName.Replace('\\', '/');
    }

    /// <summary>Replaces the entry ending with <paramref name="suffix"/> by <paramref name="rewrite"/> of its bytes.</summary>
    public static void RewriteEntry(string zip, string suffix, Func<byte[], byte[]> rewrite)
    {
        using var archive = ZipFile.Open(zip, ZipArchiveMode.Update);
        var entry = archive.Entries.Single(e => e.FullName.Replace('\\', '/').EndsWith(suffix, StringComparison.Ordinal));
        byte[] bytes;
        using (var read = entry.Open())
        using (var copy = new MemoryStream())
        {
            read.CopyTo(copy);
            bytes = copy.ToArray();
        }
        string name = entry.FullName;
        entry.Delete();
        using var write = archive.CreateEntry(name).Open();
        write.Write(rewrite(bytes));
    }

    /// <summary>Rewrites a JSON entry of a zip.</summary>
    public static void EditJsonEntry(string zip, string suffix, Action<JsonObject> edit) => RewriteEntry(zip, suffix, bytes =>
    {
        var json = JsonNode.Parse(bytes)!.AsObject();
        edit(json);
        return Encoding.UTF8.GetBytes(json.ToJsonString());
    });

    /// <summary>Every message of an exception and its inner exceptions, joined.</summary>
    public static string Messages(Exception e)
    {
        var parts = new List<string>();
        for (Exception? x = e; x is not null; x = x.InnerException) parts.Add($"{x.GetType().Name}: {x.Message}");
        return string.Join(" | ", parts);
    }

    /// <summary>
    /// Runs <paramref name="load"/>, which must throw, and returns the messages; asserts the process's memory did not
    /// grow by more than <paramref name="maxGrowthMiB"/> on the way (a refused model must be refused before it is built).
    /// </summary>
    public static string FailsWithoutAllocating(Action load, int maxGrowthMiB = 256)
    {
        using var process = Process.GetCurrentProcess();
        GC.Collect();
        long before = process.WorkingSet64, peakBefore = process.PeakWorkingSet64;
        var error = Assert.Throws<Exception>(load);
        process.Refresh();
        long grown = Math.Max(process.WorkingSet64 - before, process.PeakWorkingSet64 - Math.Max(peakBefore, before));
        Assert.IsLessThan(maxGrowthMiB * (1L << 20), grown, $"memory grew by {grown >> 20} MiB before the error: {Messages(error)}");
        return Messages(error);
    }
}
