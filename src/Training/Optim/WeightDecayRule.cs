using static TorchSharp.torch;

namespace MLNetExt.Training.Optim;

/// <summary>Which parameters get weight decay when the task does not say otherwise.</summary>
public static class WeightDecayRule
{
    /// <summary>
    /// Decay matrices only: vectors (biases, norm scales) and anything named like an embedding or a norm are left
    /// alone, since shrinking them toward zero changes scale rather than regularising.
    /// </summary>
    public static bool Default(string name, Tensor parameter)
    {
        if (parameter.dim() < 2) return false;
        string lower = name.ToLowerInvariant();
        return !(lower.Contains("norm") || lower.Contains("embed") || lower.EndsWith("bias", StringComparison.Ordinal));
    }
}
