using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetExt.ModernBert.MLNet;
using MLNetExt.Training.MLNet;
using static TorchSharp.torch;

[assembly: LoadableClass(typeof(ITransformer), typeof(ModernBertNamedEntityRecognitionTransformer), null, typeof(SignatureLoadModel),
    "ModernBERT named-entity recognition", ModernBertNamedEntityRecognitionTransformer.LoaderSignature)]

namespace MLNetExt.ModernBert.MLNet;

/// <summary>What a fitted NER model reads and writes; saved as <c>Settings.json</c>.</summary>
public sealed record ModernBertNerSettings(string Sentence, string PredictedLabel, int MaxLength, bool BFloat16);

/// <summary>
/// Tags every whitespace-separated word of a text: <c>PredictedLabel</c> is a variable-length vector of keys (the
/// training tags as key values), one per word, predicted at the word's first token. Words cut by the length limit
/// get key 0 (missing). One packed forward per batch.
/// </summary>
public sealed class ModernBertNamedEntityRecognitionTransformer : ScoringTransformer<TokenizedWords, uint[]>
{
    public const string LoaderSignature = "ModernBertNer";
    const string SettingsStream = "Settings.json";
    const string LabelsStream = "Labels.json";

    readonly ModernBertNerSettings _settings;
    readonly ModernBertForTokenClassification _model;
    readonly ScoreColumn<uint[]>[] _outputs;

    public ModernBertEncoder Encoder { get; }
    public LabelKeys Labels { get; }
    public ModernBertForTokenClassification Model => _model;

    internal ModernBertNamedEntityRecognitionTransformer(IHostEnvironment env, ModernBertNerSettings settings, ModernBertEncoder encoder,
        ModernBertForTokenClassification model, LabelKeys labels, ScoringOptions scoring)
        : base(env, nameof(ModernBertNamedEntityRecognitionTransformer), scoring)
    {
        (_settings, Encoder, Labels) = (settings, encoder, labels);
        _model = encoder.Prepare(model);
        _outputs = [new ScoreColumn<uint[], VBuffer<uint>>(settings.PredictedLabel, new VectorDataViewType(labels.KeyType),
            (uint[] keys, ref VBuffer<uint> vector) =>
            {
                var editor = VBufferEditor.Create(ref vector, keys.Length);
                keys.CopyTo(editor.Values);
                vector = editor.Commit();
            }, labels.KeyValues())];
    }

    ModernBertNamedEntityRecognitionTransformer(IHostEnvironment env, SavedModelReader saved, ModernBertNerSettings settings)
        : this(env, settings, saved, ModernBertEncoder.Load(saved, settings.MaxLength, settings.BFloat16, c => new ModernBertForTokenClassification(c))) { }

    ModernBertNamedEntityRecognitionTransformer(IHostEnvironment env, ModernBertNerSettings settings, SavedModelReader saved,
        (ModernBertEncoder Encoder, ModernBertForTokenClassification Model) loaded)
        : this(env, settings, loaded.Encoder, loaded.Model, new LabelKeys(saved.ReadJson<string[]>(LabelsStream)), saved.Scoring) { }

    static VersionInfo VersionInfo() => SavedModel.Version("MBNERTAG", 0x00010001, LoaderSignature, typeof(ModernBertNamedEntityRecognitionTransformer));

    static ITransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        var saved = Open(ctx, VersionInfo());
        return new ModernBertNamedEntityRecognitionTransformer(env, saved, saved.ReadJson<ModernBertNerSettings>(SettingsStream));
    }

    protected override VersionInfo Version => VersionInfo();

    protected override IReadOnlyList<ColumnRequirement> InputColumns => [ColumnRequirement.Text(_settings.Sentence)];

    protected override IReadOnlyList<ScoreColumn<uint[]>> OutputColumns => _outputs;

    protected override Func<TokenizedWords> MakeItemReader(DataViewRow input)
    {
        var text = input.GetGetter<ReadOnlyMemory<char>>(input.Schema[_settings.Sentence]);
        ReadOnlyMemory<char> value = default;
        return () => { text(ref value); return Encoder.EncodeWords(value.ToString()); };
    }

    protected override int Cost(TokenizedWords item) => item.Ids.Length;

    protected override uint[][] ScoreBatch(IReadOnlyList<TokenizedWords> items)
    {
        Encoder.ReportTruncation(Host, items.Count(i => i.Truncated));
        using var scope = NewDisposeScope();
        var tags = Encoder.Forward(items.Select(i => i.Ids).ToArray(), input => _model.call(input).argmax(-1).to(ScalarType.Float32)) // [T]
            .data<float>().ToArray();
        var keys = new uint[items.Count][];
        int offset = 0;
        for (int r = 0; r < items.Count; r++)
        {
            keys[r] = new uint[items[r].Words];   // words cut by the length limit stay 0: missing
            for (int w = 0; w < items[r].WordStarts.Length; w++) keys[r][w] = (uint)tags[offset + items[r].WordStarts[w]] + 1;
            offset += items[r].Ids.Length;
        }
        return keys;
    }

    protected override void SavePayload(SavedModelWriter writer)
    {
        Encoder.Save(writer, _model, nameof(ModernBertForTokenClassification));
        writer.WriteJson(SettingsStream, _settings);
        writer.WriteJson(LabelsStream, Labels.Names);
    }
}
