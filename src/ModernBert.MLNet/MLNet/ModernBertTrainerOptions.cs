using MLNetExt.Training.Checkpoints;
using MLNetExt.Training.MLNet;

namespace MLNetExt.ModernBert.MLNet;

/// <summary>
/// What every ModernBERT trainer adds to the shared <see cref="TextTrainerOptions"/>: where the encoder comes from,
/// how long rows may be and how many tokens a batch packs. The defaults run on a laptop CPU; the default peak
/// learning rate is 1e-4.
/// </summary>
public abstract record ModernBertTrainerOptions : TextTrainerOptions
{
    protected ModernBertTrainerOptions() : base(learningRate: 1e-4) { }

    /// <summary>The encoder to fine-tune: <see cref="ModernBertSource.Pretrained"/> or <see cref="ModernBertSource.FromScratch(ModernBertSize, int)"/> (default: Small, one warm-up epoch).</summary>
    public ModernBertSource Model { get; init; } = ModernBertSource.FromScratch();
    /// <summary>Tokens per row including [CLS]/[SEP], at least 2; longer rows are truncated (and counted in the log).</summary>
    public int MaxLength { get; init; } = 256;
    /// <summary>Tokens per training batch (rows are packed without padding up to this many; a longer row goes alone).</summary>
    public int TokenBudget { get; init; } = 8192;
    /// <summary>Peak learning rate of the masked-LM warm-up (<see cref="ModernBertSource.MaskedLmEpochs"/>).</summary>
    public double MaskedLmLearningRate { get; init; } = 5e-4;
    /// <summary>Score in bf16 (see <see cref="ModernBertEncoder.BFloat16"/> for the accuracy trade).</summary>
    public bool ScoreInBFloat16 { get; init; }

    internal override void Validate()
    {
        base.Validate();
        if (Model is null) throw OptionRange.Fail(this, nameof(Model), null, "a ModernBertSource");
        OptionRange.AtLeast(this, nameof(MaxLength), MaxLength, 2);
        if (MaxLength > ModelSize.MaxPositions) throw OptionRange.Fail(this, nameof(MaxLength), MaxLength, $"at most {ModelSize.MaxPositions}");
        OptionRange.AtLeast(this, nameof(TokenBudget), TokenBudget, 1);
        OptionRange.Number(this, nameof(MaskedLmLearningRate), MaskedLmLearningRate, 0, 1, exclusiveMin: true);
        if (MaskedLmLearningRate * WeightDecay >= 1)
            throw OptionRange.Conflict(this, nameof(WeightDecay), $"{WeightDecay} times MaskedLmLearningRate {MaskedLmLearningRate} is at least 1, so every warm-up step would zero or flip the weights.");
    }
}
