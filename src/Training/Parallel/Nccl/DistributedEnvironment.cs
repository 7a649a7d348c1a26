namespace MLNetExt.Training.Parallel.Nccl;

/// <summary>
/// This process's place in a multi-process job, read from the launcher's environment: torchrun's RANK, WORLD_SIZE,
/// LOCAL_RANK, MASTER_ADDR, MASTER_PORT, or Slurm's SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID (with MASTER_ADDR set
/// by the batch script, e.g. to the first host of the allocation).
/// </summary>
public sealed record DistributedEnvironment(int Rank, int WorldSize, int LocalRank, string MasterAddress, int MasterPort)
{
    public const int DefaultPort = 29500;

    /// <summary>The environment of a multi-process launch, or null when this process runs alone.</summary>
    public static DistributedEnvironment? FromEnvironment(Func<string, string?>? getVariable = null)
    {
        getVariable ??= Environment.GetEnvironmentVariable;
        var (rankVar, worldVar, localVar) = getVariable("WORLD_SIZE") is not null
            ? ("RANK", "WORLD_SIZE", "LOCAL_RANK")
            : ("SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID");
        if (getVariable(worldVar) is null) return null;
        int world = Integer(getVariable, worldVar, null);
        int rank = Integer(getVariable, rankVar, null);
        if (world < 1 || rank < 0 || rank >= world)
            throw new InvalidOperationException($"{rankVar}={rank} is not a rank of a world of {worldVar}={world}.");
        string address = getVariable("MASTER_ADDR")
            ?? (world == 1 ? "127.0.0.1" : throw new InvalidOperationException($"{worldVar}={world} but MASTER_ADDR is not set; set it to rank 0's host name."));
        return new DistributedEnvironment(rank, world, Integer(getVariable, localVar, 0), address, Integer(getVariable, "MASTER_PORT", DefaultPort));
    }

    static int Integer(Func<string, string?> getVariable, string name, int? fallback)
    {
        string? text = getVariable(name);
        if (text is null) return fallback ?? throw new InvalidOperationException($"Environment variable {name} is not set.");
        return int.TryParse(text, out int value) ? value : throw new InvalidOperationException($"Environment variable {name}='{text}' is not an integer.");
    }
}
