using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace MLNetExt.Training.MLNet;

/// <summary>
/// What a run trained on, as a short text: row and id counts and a SHA-256 of every row's ids and targets, in order.
/// Two runs resume each other's checkpoints only when this matches (see <see cref="TrainerOptions.Fingerprint"/>).
/// </summary>
internal sealed class DataFingerprint : IDisposable
{
    readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    long _rows, _ids;

    /// <summary>One row: its model input ids and its target(s) (a class, a value, one tag per token).</summary>
    public void Add<TTarget>(ReadOnlySpan<long> ids, ReadOnlySpan<TTarget> target) where TTarget : unmanaged
    {
        _rows++;
        _ids += ids.Length;
        Span<int> lengths = [ids.Length, target.Length];
        _hash.AppendData(MemoryMarshal.AsBytes(lengths));
        _hash.AppendData(MemoryMarshal.AsBytes(ids));
        _hash.AppendData(MemoryMarshal.AsBytes(target));
    }

    public void Add<TTarget>(ReadOnlySpan<long> ids, TTarget target) where TTarget : unmanaged => Add(ids, new ReadOnlySpan<TTarget>(in target));

    public override string ToString() => $"{_rows} rows, {_ids} ids, sha256 {Convert.ToHexString(_hash.GetCurrentHash())[..16]}";

    /// <summary>A short hash of a text (e.g. a model config), for fingerprints that must not grow with it.</summary>
    public static string Of(string text) => "sha256 " + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];

    public void Dispose() => _hash.Dispose();
}
