using Microsoft.ML;
using Microsoft.ML.Runtime;
using Microsoft.ML.Data;
using MLNetExt.Training;
using MLNetExt.Training.MLNet;

namespace MLNetExt.ModernBert.MLNet;

/// <summary>How token vectors become one vector per text.</summary>
public enum ModernBertPooling
{
    /// <summary>Mean of the text's token vectors ([CLS] and [SEP] included, as Hugging Face's mean pooling).</summary>
    Mean,
    /// <summary>The [CLS] token's vector.</summary>
    Cls,
}

/// <summary>Options of <see cref="ModernBertEmbeddingsEstimator"/>.</summary>
public sealed record ModernBertEmbeddingsOptions
{
    /// <summary>Vector&lt;Single&gt; of the model's hidden size.</summary>
    public string OutputColumnName { get; init; } = "Features";
    /// <summary>String; null or empty text embeds <c>[CLS] [SEP]</c>.</summary>
    public string InputColumnName { get; init; } = "Text";
    /// <summary>A Hugging Face ModernBERT folder: config.json, model.safetensors, tokenizer.json (any head; only the encoder is used).</summary>
    public string? ModelPath { get; init; }
    public ModernBertPooling Pooling { get; init; } = ModernBertPooling.Mean;
    /// <summary>Scale each vector to unit L2 norm, so dot products are cosine similarities.</summary>
    public bool Normalize { get; init; } = true;
    /// <summary>Tokens per text including [CLS]/[SEP]; longer texts are truncated (and counted in the log).</summary>
    public int MaxLength { get; init; } = 512;
    /// <summary>Score in bf16 (see <see cref="ModernBertEncoder.BFloat16"/> for the accuracy trade).</summary>
    public bool BFloat16 { get; init; }
    public ScoringOptions Scoring { get; init; } = new();

    /// <summary>Throws naming the first option that cannot work.</summary>
    internal void Validate()
    {
        OptionRange.NotBlank(this, nameof(OutputColumnName), OutputColumnName);
        OptionRange.NotBlank(this, nameof(InputColumnName), InputColumnName);
        OptionRange.Defined(this, nameof(Pooling), Pooling);
        OptionRange.AtLeast(this, nameof(MaxLength), MaxLength, 2);
        if (Scoring is null) throw OptionRange.Fail(this, nameof(Scoring), null, "scoring options");
        Scoring.Validate();
    }
}

/// <summary>
/// Text to a fixed-size vector with a ModernBERT encoder, from a Hugging Face folder or a fine-tuned
/// <see cref="ModernBertSequenceTransformer"/>. Nothing is trained: Fit loads the weights and checks the columns.
/// </summary>
public sealed class ModernBertEmbeddingsEstimator : IEstimator<ModernBertEmbeddingsTransformer>
{
    readonly IHostEnvironment _env;
    readonly ModernBertEmbeddingsOptions _options;
    readonly ModernBertSequenceTransformer? _trained;

    /// <summary>Embeddings from the folder <see cref="ModernBertEmbeddingsOptions.ModelPath"/>.</summary>
    public ModernBertEmbeddingsEstimator(IHostEnvironment env, ModernBertEmbeddingsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        (_env, _options) = (env, options);
        if (options.ModelPath is null) throw new ArgumentException("ModelPath must name a ModernBERT folder (or pass a fine-tuned model).", nameof(options));
    }

    /// <summary>Embeddings from the encoder of a fine-tuned model (its weights are copied; <see cref="ModernBertEmbeddingsOptions.ModelPath"/> is ignored).</summary>
    public ModernBertEmbeddingsEstimator(IHostEnvironment env, ModernBertEmbeddingsOptions options, ModernBertSequenceTransformer trained)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        (_env, _options, _trained) = (env, options, trained);
    }

    ColumnRequirement Input => ColumnRequirement.Text(_options.InputColumnName);

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        Input.Check(inputSchema);
        var columns = inputSchema.ToDictionary(c => c.Name);
        columns[_options.OutputColumnName] = new SchemaShape.Column(_options.OutputColumnName, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, isKey: false);
        return new SchemaShape(columns.Values);
    }

    public ModernBertEmbeddingsTransformer Fit(IDataView input)
    {
        Input.Find(input.Schema);
        var (config, tokenizer) = _trained is null
            ? ModernBertSource.Pretrained(_options.ModelPath!).Resolve()
            : (_trained.Encoder.Config, _trained.Encoder.Tokenizer);
        var encoder = new ModernBertEncoder(config, tokenizer, _options.MaxLength, _options.BFloat16);
        var model = new ModernBertModel(config);
        if (_trained is null) ModernBertStart.LoadEncoder(model, _options.ModelPath!, "");
        else ModelWeights.Copy(_trained.Model.Model, model);
        var settings = new ModernBertEmbeddingsSettings(_options.InputColumnName, _options.OutputColumnName, _options.Pooling, _options.Normalize, encoder.MaxLength, _options.BFloat16);
        return new ModernBertEmbeddingsTransformer(_env, settings, encoder, model, _options.Scoring);
    }
}
