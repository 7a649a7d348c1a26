using System.Globalization;
using MLNetExt.Training;
using MLNetExt.Training.MLNet;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.ModernBert.MLNet;

/// <summary>The weights a fine-tuning run starts from: the source folder's, or fresh ones, then any MLM warm-up.</summary>
static class ModernBertStart
{
    /// <summary>
    /// A new head built by <paramref name="create"/> on the source's encoder: a folder's weights where its tensors
    /// fit (the head may be new), then <paramref name="warmedEncoder"/>'s when a warm-up ran.
    /// </summary>
    public static THead Head<THead>(ModernBertSource source, ModernBertConfig config, Func<ModernBertConfig, THead> create, ModernBertModel? warmedEncoder)
        where THead : nn.Module, IModernBertModule
    {
        var head = create(config);
        if (source.Folder is string folder) LoadEncoder(head, folder, "model.");
        if (warmedEncoder is not null) ModelWeights.Copy(warmedEncoder, head, "model.");
        return head;
    }

    /// <summary>Loads a folder's weights into <paramref name="model"/>; every encoder tensor (keys starting <paramref name="encoderPrefix"/>) must be there.</summary>
    public static void LoadEncoder(nn.Module model, string folder, string encoderPrefix)
    {
        string weights = Path.Combine(folder, ModernBertCheckpoint.WeightsFile);
        var report = ModernBertCheckpoint.LoadWeights(model, weights, strict: false);
        var missing = report.Missing.Where(k => k.StartsWith(encoderPrefix, StringComparison.Ordinal)).ToArray();
        if (missing.Length > 0)
            throw new InvalidDataException($"{weights} lacks {missing.Length} encoder tensor(s), e.g. {string.Join(", ", missing.Take(3))}; is it a ModernBERT checkpoint?");
    }

    /// <summary>
    /// What identifies a Fit for resuming (<see cref="TrainerOptions.Fingerprint"/>): the task and its classes, where
    /// the weights start (folder, shape, warm-up), the training data and the validation data early stopping watches.
    /// </summary>
    public static Dictionary<string, string> Fingerprint(string task, ModernBertTrainerOptions o, ModernBertConfig config, string data, string? validation) => new()
    {
        ["task"] = task,
        ["model"] = string.Create(CultureInfo.InvariantCulture,
            $"{o.Model.Folder ?? "from scratch"}, config {DataFingerprint.Of(ModernBertConfigJson.ToJson(config, "ModernBert"))}, masked-LM warm-up {o.Model.MaskedLmEpochs} epochs at {o.MaskedLmLearningRate}"),
        ["data"] = data,
        ["validation"] = validation is null ? "none" : $"{validation}, patience {o.EarlyStoppingPatience}",
    };
}
