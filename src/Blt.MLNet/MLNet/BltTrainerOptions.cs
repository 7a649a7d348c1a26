using MLNetExt.Training.MLNet;

namespace MLNetExt.Blt.MLNet;

/// <summary>
/// What every BLT trainer adds to the shared <see cref="TextTrainerOptions"/>: where the model comes from and how
/// many rows a step takes. The defaults run on a laptop CPU; the default peak learning rate is 1e-3.
/// </summary>
public abstract record BltTrainerOptions : TextTrainerOptions
{
    protected BltTrainerOptions() : base(learningRate: 1e-3) { }

    /// <summary>The model to train: <see cref="BltSource.Pretrained"/> or <see cref="BltSource.FromScratch(BltSize)"/> (default: Small).</summary>
    public BltSource Model { get; init; } = BltSource.FromScratch();
    /// <summary>Rows per step (text classification) or packed rows of <see cref="BltBitsPerByteOptions.SequenceLength"/> bytes (bits per byte); at least 1.</summary>
    public int BatchSize { get; init; } = 16;

    internal override void Validate()
    {
        base.Validate();
        if (Model is null) throw OptionRange.Fail(this, nameof(Model), null, "a BltSource");
        OptionRange.AtLeast(this, nameof(BatchSize), BatchSize, 1);
    }

    /// <summary>
    /// What identifies a Fit for resuming (<see cref="MLNetExt.Training.TrainerOptions.Fingerprint"/>): the task and its
    /// classes, where the weights start, the training data and the validation data early stopping watches.
    /// </summary>
    internal Dictionary<string, string> Fingerprint(string task, BltConfig config, string data, string? validation) => new()
    {
        ["task"] = task,
        ["model"] = $"{Model}, config {DataFingerprint.Of(BltConfigJson.ToJson(config).ToJsonString())}",
        ["data"] = data,
        ["validation"] = validation is null ? "none" : $"{validation}, patience {EarlyStoppingPatience}",
    };

    /// <summary>
    /// Checks a MaxBytes option: at least 1, and, for a model from scratch (whose shape is known without reading a
    /// file), within its byte positions; a folder's limit is checked when Fit reads its config.
    /// </summary>
    private protected void CheckMaxBytes(int maxBytes, bool addEos)
    {
        OptionRange.AtLeast(this, "MaxBytes", maxBytes, 1);
        if (Model?.Config is not BltConfig config) return;
        int limit = config.BytePositions.Positions - (addEos ? 2 : 1);
        if (maxBytes > limit) throw OptionRange.Fail(this, "MaxBytes", maxBytes, $"at most {limit} (the model's {config.BytePositions.Positions} byte positions, {config.BytePositions.Key}, less BOS{(addEos ? " and EOS" : "")})");
    }
}
