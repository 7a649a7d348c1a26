using System.IO.Compression;
using System.Reflection;
using System.Text.Json;
using Microsoft.ML;
using TorchSharp;
using MLNetExt.Training.Checkpoints;
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
/// <item><term>other streams</term><description>whatever else the model names: JSON (labels, columns) or raw bytes (a tokenizer file).</description></item>
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

    /// <summary>"model zip '/path/model.zip'", or "the model zip" when it was loaded from a stream that is not a file.</summary>
    internal static string DescribeZip(ModelLoadContext ctx)
    {
        // ML.NET keeps the zip's stream private (ZipArchive holds it in a private field); the path only serves messages,
        // so if a future runtime renames the field the message just leaves the path out.
        var archive = ctx.Repository?._archive;
        var field = typeof(ZipArchive).GetField("_archiveStream", BindingFlags.NonPublic | BindingFlags.Instance);
        return archive is not null && field?.GetValue(archive) is FileStream file ? $"model zip '{file.Name}'" : "the model zip";
    }
}

/// <summary>Writes a transformer's payload streams into its folder of the model zip.</summary>
public sealed class SavedModelWriter
{
    readonly ModelSaveContext _ctx;

    internal SavedModelWriter(ModelSaveContext ctx) => _ctx = ctx;

    public void WriteJson<T>(string name, T value) =>
        _ctx.SaveBinaryStream(name, w => JsonSerializer.Serialize(w.BaseStream, value, SavedJson.Options));

    public void WriteConfig<T>(T config) => WriteJson(SavedModel.ConfigStream, config);

    /// <summary>Raw bytes, e.g. a tokenizer file kept as it came.</summary>
    public void WriteBytes(string name, byte[] bytes) => _ctx.SaveBinaryStream(name, w => w.Write(bytes));

    public void WriteWeights(torch.nn.Module module) =>
        _ctx.SaveBinaryStream(SavedModel.WeightsStream, w => module.save_safetensors(w.BaseStream, leaveOpen: true));
}

/// <summary>
/// Reads back what <see cref="SavedModelWriter"/> wrote; every stream is required. Errors name the stream as
/// <c>entry 'TransformerChain/Transform_002/Weights.safetensors' of model zip '/path/model.zip'</c>.
/// </summary>
public sealed class SavedModelReader
{
    readonly ModelLoadContext _ctx;
    readonly string _zip;

    internal SavedModelReader(ModelLoadContext ctx, ScoringOptions scoring)
    {
        _ctx = ctx;
        Scoring = scoring;
        _zip = SavedModel.DescribeZip(ctx);
    }

    /// <summary>The scoring options saved in <c>Model.key</c>.</summary>
    public ScoringOptions Scoring { get; }

    /// <summary>Where stream <paramref name="name"/> lives, for error messages.</summary>
    internal string Describe(string name) =>
        $"entry '{(string.IsNullOrEmpty(_ctx.Directory) ? name : $"{_ctx.Directory.Replace('\\', '/')}/{name}")}' of {_zip}";

    public T ReadJson<T>(string name)
    {
        var bytes = ReadBytes(name);
        try
        {
            return JsonSerializer.Deserialize<T>(bytes, SavedJson.Options)
                ?? throw new InvalidDataException($"{Describe(name)} holds JSON null; expected a {typeof(T).Name}.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{Describe(name)} is not valid JSON for a {typeof(T).Name}: {e.Message}", e);
        }
    }

    public T ReadConfig<T>() => ReadJson<T>(SavedModel.ConfigStream);

    /// <summary>Loads the saved parameters into <paramref name="module"/>; every key must match, with its shape and dtype kind.</summary>
    public void ReadWeights(torch.nn.Module module) => LoadWeights(_ => module, disposeOnFailure: false);

    /// <summary>
    /// Reads the weights' header first, checks that the <paramref name="configParameters"/> the saved config implies
    /// fit in memory and in the weights (<see cref="ModelSize"/>), and only then builds the module with
    /// <paramref name="create"/> and loads it; a module that fails to load is disposed.
    /// </summary>
    internal TModule ReadWeights<TModule>(long configParameters, Func<TModule> create) where TModule : torch.nn.Module =>
        LoadWeights(header =>
        {
            ModelSize.Check(configParameters, Describe(SavedModel.ConfigStream), header);
            return create();
        }, disposeOnFailure: true);

    TModule LoadWeights<TModule>(Func<SafetensorsHeader, TModule> build, bool disposeOnFailure) where TModule : torch.nn.Module
    {
        TModule? module = null;
        Read(SavedModel.WeightsStream, stream =>
        {
            // ML.NET hands an entry over as a temporary file or a memory copy, both seekable; anything else is copied.
            using var copy = stream.CanSeek ? null : CopyToMemory(stream);
            var data = copy ?? stream;
            var header = SafetensorsHeader.Read(data, Describe(SavedModel.WeightsStream));
            module = build(header);
            try { SafetensorsLoader.Load(module, header, data); }
            catch
            {
                if (disposeOnFailure) module.Dispose();
                throw;
            }
        });
        return module!;
    }

    /// <summary>A stream's bytes, as <see cref="SavedModelWriter.WriteBytes"/> wrote them.</summary>
    public byte[] ReadBytes(string name)
    {
        byte[]? bytes = null;
        Read(name, s => bytes = CopyToMemory(s).ToArray());
        return bytes!;
    }

    void Read(string name, Action<Stream> read)
    {
        if (!_ctx.TryLoadBinaryStream(name, r => read(r.BaseStream)))
            throw new InvalidDataException($"Stream '{name}' is missing from model folder '{_ctx.Directory}' of {_zip}.");
    }

    static MemoryStream CopyToMemory(Stream stream)
    {
        var copy = new MemoryStream();
        stream.CopyTo(copy);
        copy.Position = 0;
        return copy;
    }
}

static class SavedJson
{
    public static readonly JsonSerializerOptions Options = new() { WriteIndented = true };
}
