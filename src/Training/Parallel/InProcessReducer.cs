using static TorchSharp.torch;

namespace MLNetExt.Training.Parallel;

/// <summary>Replicas in one process (CPU threads or several GPUs): device copies added into replica 0's buckets.</summary>
public sealed class InProcessReducer : IGradientReducer
{
    public int WorldSize => 1;
    public int Rank => 0;

    public void SumBuckets(IReadOnlyList<IReadOnlyList<Tensor>> local)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        for (int r = 1; r < local.Count; r++)
            for (int b = 0; b < local[0].Count; b++)
            {
                var target = local[0][b];
                var source = local[r][b];
                target.PlusInPlace(source.device == target.device ? source : source.to(target.device));
            }
    }

    public double[] SumScalars(double[] values) => values;

    public void Dispose() { }
}
