using static TorchSharp.torch;

namespace MLNetExt.Training.Optim;

/// <summary>
/// A flat run of fp32 master weights and their fp32 gradients with one weight-decay setting. <see cref="Members"/>
/// name the parameters inside it, so optimizer state can be saved and restored per parameter name.
/// </summary>
public sealed record ParameterGroup(Tensor Values, Tensor Grads, bool Decay, IReadOnlyList<GroupMember> Members);

/// <summary>A named parameter at <see cref="Offset"/> elements into its group.</summary>
public sealed record GroupMember(string Name, long Offset, long[] Shape)
{
    public long Count => Shape.Aggregate(1L, (a, b) => a * b);
}
