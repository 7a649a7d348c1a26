using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.Training;

/// <summary>Weight copies between modules of the same shape, without leaving temporaries to the finalizer.</summary>
internal static class ModelWeights
{
    /// <summary>
    /// Copies every state_dict entry of <paramref name="from"/> into key <paramref name="prefix"/> + the same key of
    /// <paramref name="to"/> (any device, any dtype); e.g. an encoder into a head with prefix "model.".
    /// </summary>
    public static void Copy(nn.Module from, nn.Module to, string prefix = "")
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var target = to.state_dict();
        foreach (var (key, value) in from.state_dict())
            (target.TryGetValue(prefix + key, out var t) ? t : throw new InvalidOperationException($"{to.GetName()} has no '{prefix + key}' to copy into.")).copy_(value);
    }
}
