using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.Training;

/// <summary>
/// Scalars that live for the whole process. TorchSharp 0.107 turns a C# number passed as a <see cref="Scalar"/> into
/// a temporary whose finalizer can free the native value while the op still reads it (random "Expected false to be
/// true" / "Unknown scalar type" after thousands of batches; TorchSharp PR #1496), and some of its own methods make
/// such temporaries (<c>a + b</c> passes alpha = 1). Hot paths use these statics, or own a scalar with
/// <c>using var s = x.ToScalar();</c> across the call. <c>ScalarLifetimeTests</c> rejects any other use in src/.
/// </summary>
internal static class Scalars
{
    public static readonly Scalar Zero = 0.ToScalar();
    public static readonly Scalar One = 1.ToScalar();
    public static readonly Scalar MinusOne = (-1).ToScalar();
    public static readonly Scalar NegativeInfinity = float.NegativeInfinity.ToScalar();

    /// <summary><c>a + b</c> without TorchSharp's temporary alpha scalar.</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary>In-place <c>a += b</c> without TorchSharp's temporary alpha scalar.</summary>
    public static Tensor PlusInPlace(this Tensor a, Tensor b) => a.add_(b, One);

    /// <summary><c>arange(count)</c> (int64) without TorchSharp's temporary start and step scalars.</summary>
    public static Tensor Arange(long count, Device device)
    {
        using var stop = count.ToScalar();
        return arange(Zero, stop, One, ScalarType.Int64, device);
    }
}
