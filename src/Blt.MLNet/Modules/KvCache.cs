using static TorchSharp.torch;

namespace MLNetExt.Blt.Modules;

/// <summary>
/// Keys and values (B, kvHeads, T, D) of one attention layer during generation. With a sliding window only the last
/// <c>window</c> positions are kept, which is exactly what the window mask allows a new query to see.
/// </summary>
public sealed class KvCache(int? window) : IDisposable
{
    Tensor? keys, values;

    public (Tensor Keys, Tensor Values) Append(Tensor k, Tensor v)
    {
        var newKeys = keys is null ? k : cat([keys, k], 2);
        var newValues = values is null ? v : cat([values, v], 2);
        if (window is int w && newKeys.shape[2] > w)
        {
            newKeys = newKeys[.., .., ^w.., ..];
            newValues = newValues[.., .., ^w.., ..];
        }
        keys?.Dispose(); values?.Dispose();
        keys = newKeys.detach().DetachFromDisposeScope();
        values = newValues.detach().DetachFromDisposeScope();
        return (keys, values);
    }

    public void Dispose()
    {
        keys?.Dispose();
        values?.Dispose();
    }
}
