using static TorchSharp.torch;

namespace MLNetExt.Training.Parallel;

/// <summary>
/// Sums gradients over every replica taking part in training: this process's local replicas and, for multi-process
/// backends, every other rank's.
/// </summary>
public interface IGradientReducer : IDisposable
{
    /// <summary>
    /// Sums flat fp32 gradient buckets elementwise over all replicas; afterwards <c>local[0]</c> holds the global sum
    /// (other local buckets may be overwritten). <c>local[r]</c> are replica r's buckets, all with the same layout.
    /// </summary>
    void SumBuckets(IReadOnlyList<IReadOnlyList<Tensor>> local);

    /// <summary>Sums a few scalars (loss sum, loss-term count, tokens) over processes; identity in one process.</summary>
    double[] SumScalars(double[] values);

    /// <summary>Number of processes taking part (1 for in-process data parallelism).</summary>
    int WorldSize { get; }

    /// <summary>This process's index among them; rank 0 writes checkpoints and logs.</summary>
    int Rank { get; }
}
