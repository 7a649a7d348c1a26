using MLNetExt.Training.MLNet;

namespace MLNetExt.Blt.MLNet;

/// <summary>Options of <c>mlContext.MulticlassClassification.Trainers.Blt</c>: columns, input bytes, training, scoring.</summary>
public sealed record BltClassifierOptions
{
    /// <summary>Key or String label; string labels get keys in order of first occurrence.</summary>
    public string LabelColumnName { get; init; } = "Label";
    /// <summary>String (UTF-8 encoded) or Vector&lt;Byte&gt; (raw bytes) text.</summary>
    public string Sentence1ColumnName { get; init; } = "Sentence1";
    public string PredictedLabelColumnName { get; init; } = "PredictedLabel";
    public string ScoreColumnName { get; init; } = "Score";
    /// <summary>Bytes read per row (after BOS); longer texts are cut.</summary>
    public int MaxBytes { get; init; } = 1024;
    /// <summary>
    /// Ids (BOS + bytes) per training step at most, beside <see cref="BltTrainingOptions.BatchSize"/> rows: a step's
    /// memory and time follow its bytes, however long its rows are (a row longer than this trains alone).
    /// </summary>
    public int BatchBytes { get; init; } = 16384;
    public BltTrainingOptions Training { get; init; } = new();
    public ScoringOptions Scoring { get; init; } = new();
}
