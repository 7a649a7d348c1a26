using MLNetExt.ModernBert.Training;
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
        if (warmedEncoder is not null) ModernBertFineTuning.CopyWeights(warmedEncoder, head, "model.");
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
}
