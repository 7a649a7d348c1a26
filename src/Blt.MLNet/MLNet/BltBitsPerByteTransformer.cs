using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNetExt.Blt.MLNet;
using MLNetExt.Training.MLNet;
using static TorchSharp.torch;

[assembly: LoadableClass(typeof(ITransformer), typeof(BltBitsPerByteTransformer), null, typeof(SignatureLoadModel),
    "BLT bits per byte", BltBitsPerByteTransformer.LoaderSignature)]

namespace MLNetExt.Blt.MLNet;

/// <summary>
/// One Single per row: how surprising the row's bytes are to a BLT byte LM, in bits per byte. Each row is scored as
/// the document BOS + bytes + EOS, every byte and EOS predicted from what precedes it, exactly
/// <see cref="BltModel.BitsPerByte"/> of that one document. High values mark text unlike the LM's training data.
/// </summary>
public sealed class BltBitsPerByteTransformer : BltTransformer<float>
{
    public const string LoaderSignature = "MLNetExtBltBitsPerByte";
    const string ColumnsStream = "Columns.json";

    readonly string _outputColumn;
    readonly ScoreColumn<float>[] _outputs;

    public BltModel Model { get; }

    internal BltBitsPerByteTransformer(IHostEnvironment env, BltInput input, string outputColumn, BltModel model, ScoringOptions scoring)
        : base(env, nameof(BltBitsPerByteTransformer), input, model.Config.BytePositions, scoring)
    {
        if (!input.AddEos) throw new ArgumentException("Bits per byte scores the end of each row: the input must add EOS.", nameof(input));
        (_outputColumn, Model) = (outputColumn, model);
        Model.eval();
        _outputs = [ScoreColumns.Scalar<float>(outputColumn, bits => bits)];
    }

    BltBitsPerByteTransformer(IHostEnvironment env, SavedModelReader saved)
        : this(env, ReadInput(saved), saved.ReadJson<string>(ColumnsStream), ReadModel(saved), saved.Scoring) { }

    static VersionInfo VersionInfo() => SavedModel.Version("BLTBPBYT", 0x00010001, LoaderSignature, typeof(BltBitsPerByteTransformer));

    static ITransformer Create(IHostEnvironment env, ModelLoadContext ctx) => new BltBitsPerByteTransformer(env, Open(ctx, VersionInfo()));

    protected override VersionInfo Version => VersionInfo();

    protected override IReadOnlyList<ScoreColumn<float>> OutputColumns => _outputs;

    private protected override float[] ScoreRows(IReadOnlyList<long[]> items)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var batch = BltBatch.FromDocuments(items);
        var logits = Model.forward(batch);                                                                   // (B, S, 260)
        var nats = nn.functional.cross_entropy(logits.view(-1, logits.shape[^1]).to_type(ScalarType.Float32),
            tensor(batch.Targets, device: logits.device), ignore_index: BltBatch.IgnoreIndex, reduction: nn.Reduction.None)
            .view(batch.Rows, batch.Length).sum(1).cpu().data<float>().ToArray();                            // (B)
        // A row of n ids has n - 1 targets: its bytes and EOS.
        return items.Select((ids, r) => (float)(nats[r] / ((ids.Length - 1) * Math.Log(2)))).ToArray();
    }

    private protected override void SaveModel(SavedModelWriter writer)
    {
        WriteModel(writer, Model);
        writer.WriteJson(ColumnsStream, _outputColumn);
    }
}
