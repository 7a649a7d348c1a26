using MLNetExt.Training.MLNet;

namespace MLNetExt.Blt.MLNet;

/// <summary>
/// Options of <c>mlContext.MulticlassClassification.Trainers.Blt</c>: columns (ML.NET's text trainers' names and
/// defaults), input bytes, and the shared training options.
/// </summary>
public sealed record BltTextClassificationOptions : BltTrainerOptions
{
    /// <summary>Key or String label; string labels get keys in order of first occurrence; missing labels are skipped.</summary>
    public string LabelColumnName { get; init; } = "Label";
    public string ScoreColumnName { get; init; } = "Score";
    public string PredictedLabelColumnName { get; init; } = "PredictedLabel";
    /// <summary>String (UTF-8 encoded) or Vector&lt;Byte&gt; (raw bytes): the text to classify.</summary>
    public string Sentence1ColumnName { get; init; } = "Sentence1";
    /// <summary>Bytes read per row (after BOS), at least 1 and within the model's byte positions; longer texts are cut.</summary>
    public int MaxBytes { get; init; } = 1024;
    /// <summary>
    /// Ids (BOS + bytes) per training step at most, beside <see cref="BltTrainerOptions.BatchSize"/> rows: a step's
    /// memory and time follow its bytes, however long its rows are (a row longer than this trains alone).
    /// </summary>
    public int BatchBytes { get; init; } = 16384;

    internal override void Validate()
    {
        base.Validate();
        foreach (var (option, name) in new[] { (nameof(LabelColumnName), LabelColumnName), (nameof(ScoreColumnName), ScoreColumnName),
            (nameof(PredictedLabelColumnName), PredictedLabelColumnName), (nameof(Sentence1ColumnName), Sentence1ColumnName) })
            OptionRange.NotBlank(this, option, name);
        CheckMaxBytes(MaxBytes, addEos: false);
        OptionRange.AtLeast(this, nameof(BatchBytes), BatchBytes, 1);
    }
}
