using static TorchSharp.torch;

namespace MLNetExt.ModernBert;

/// <summary>A task head over the encoder that owns its loss, so a training loop needs no task switch.</summary>
public interface IModernBertHead : IModernBertModule
{
    ModernBertModel Model { get; }

    /// <summary>The mean training loss of <paramref name="input"/> against <paramref name="labels"/> (shape per head).</summary>
    Tensor Loss(PackedInput input, Tensor labels);
}
