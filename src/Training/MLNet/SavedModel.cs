using System.Text.Json;
using Microsoft.ML;
using TorchSharp;
using TorchSharp.PyBridge;

namespace MLNetExt.Training.MLNet;

/// <summary>
/// How an MLNetExt transformer lives inside an ML.NET model zip. <c>mlContext.Model.Save</c> gives each
/// transformer its own folder (e.g. <c>TransformerChain/Transform_2/</c>); ours holds:
/// <list type="table">
/// <item><term><c>Model.key</c></term><description>ML.NET's header (model signature, versions, loader signature and
/// loader assembly name), then our scoring options: <c>int32</c> token budget and <c>int32</c> max rows per batch.</description></item>
/// <item><term><c>Config.json</c></term><description>the model's configuration, UTF-8 JSON (shape and columns only).</description></item>
/// <item><term><c>Weights.safetensors</c></term><description>the model's parameters, named by the model's state-dict keys.</description></item>
/// <item><term>other <c>*.json</c></term><description>whatever else the model names (labels, tokenizer settings).</description></item>
/// </list>
/// Everything is data: loading runs only the loader registered for the loader signature with
/// <c>[assembly: LoadableClass]</c>, which reads JSON and tensors; nothing in the zip names code to run.
/// </summary>
public static class SavedModel
{
    public const string ConfigStream = "Config.json";
    public const string WeightsStream = "Weights.safetensors";

    /// <summary>
    /// ML.NET's version stamp for a transformer's folder. <paramref name="modelSignature"/> is at most 8 ASCII
    /// characters; <paramref name="version"/> is written, read back and required alike, so any format change bumps it.
    /// </summary>
    public static VersionInfo Version(string modelSignature, uint version, string loaderSignature, Type loaderType) =>
        new(modelSignature, version, version, version, loaderSignature: loaderSignature,
            loaderAssemblyName: loaderType.Assembly.FullName);
}

/// <summary>Writes a transformer's payload streams into its folder of the model zip.</summary>
public sealed class SavedModelWriter
{
    readonly ModelSaveContext _ctx;

    internal SavedModelWriter(ModelSaveContext ctx) => _ctx = ctx;

    public void WriteJson<T>(string name, T value) =>
        _ctx.SaveBinaryStream(name, w => JsonSerializer.Serialize(w.BaseStream, value, SavedJson.Options));

    public void WriteConfig<T>(T config) => WriteJson(SavedModel.ConfigStream, config);

    /// <summary>A stream of raw bytes, e.g. a file the model keeps in its own format (a tokenizer.json).</summary>
    public void WriteBytes(string name, byte[] bytes) => _ctx.SaveBinaryStream(name, w => w.Write(bytes));

    public void WriteWeights(torch.nn.Module module)
    {
        // save_safetensors can close the stream it is given (seen with ModernBERT weights), which the zip entry's
        // writer then can't flush: write into memory first. ToArray works on a closed MemoryStream.
        var buffer = new MemoryStream();
        module.save_safetensors(buffer);
        WriteBytes(SavedModel.WeightsStream, buffer.ToArray());
    }
}

/// <summary>Reads back what <see cref="SavedModelWriter"/> wrote; every stream is required.</summary>
public sealed class SavedModelReader
{
    readonly ModelLoadContext _ctx;
    readonly string _where;

    internal SavedModelReader(ModelLoadContext ctx, ScoringOptions scoring)
    {
        _ctx = ctx;
        Scoring = scoring;
        _where = string.IsNullOrEmpty(ctx.Directory) ? "the model" : $"model folder '{ctx.Directory}'";
    }

    /// <summary>The scoring options saved in <c>Model.key</c>.</summary>
    public ScoringOptions Scoring { get; }

    public T ReadJson<T>(string name)
    {
        var bytes = ReadBytes(name);
        return JsonSerializer.Deserialize<T>(bytes, SavedJson.Options)
            ?? throw new InvalidDataException($"Stream '{name}' in {_where} holds JSON null; expected a {typeof(T).Name}.");
    }

    public T ReadConfig<T>() => ReadJson<T>(SavedModel.ConfigStream);

    /// <summary>Loads the saved parameters into <paramref name="module"/>; every key must match, with its shape.</summary>
    public void ReadWeights(torch.nn.Module module)
    {
        // Zip entries don't seek; safetensors reads its header then the data, so hand it a memory copy.
        using var stream = new MemoryStream(ReadBytes(SavedModel.WeightsStream), writable: false);
        module.load_safetensors(stream);
    }

    /// <summary>A stream written by <see cref="SavedModelWriter.WriteBytes"/>.</summary>
    public byte[] ReadBytes(string name)
    {
        byte[]? bytes = null;
        if (!_ctx.TryLoadBinaryStream(name, r =>
            {
                using var copy = new MemoryStream();
                r.BaseStream.CopyTo(copy);
                bytes = copy.ToArray();
            }))
            throw new InvalidDataException($"Stream '{name}' is missing from {_where}.");
        return bytes!;
    }
}

static class SavedJson
{
    public static readonly JsonSerializerOptions Options = new() { WriteIndented = true };
}
