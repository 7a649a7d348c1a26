using System.Net;
using System.Net.Sockets;
using MLNetExt.Training.Parallel.Nccl;

namespace MLNetExt.Tests.Training;

[TestClass]
public sealed class NcclTests
{
    [TestMethod]
    public void LoadingNamesWhatToInstallOrBindsEverySymbol()
    {
        // Hosts without NCCL get the install hint; hosts with it must bind all entry points and report a version.
        NcclLibrary nccl;
        try { nccl = NcclLibrary.Load(); }
        catch (DllNotFoundException e)
        {
            StringAssert.Contains(e.Message, "libnccl.so.2");
            StringAssert.Contains(e.Message, "libnccl2");
            return;
        }
        nccl.Check(nccl.GetVersion(out int version), "ncclGetVersion");
        Assert.IsGreaterThanOrEqualTo(20400, version);
    }

    [TestMethod]
    public void ALibraryWithoutNcclSymbolsIsRejectedByName()
    {
        var e = Assert.ThrowsExactly<EntryPointNotFoundException>(() => NcclLibrary.Load("libc.so.6"));
        StringAssert.Contains(e.Message, "ncclGetVersion");
    }

    [TestMethod]
    public void NcclBackendRefusesCpuDevices()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => NcclReducer.ForLocalDevices([TorchSharp.torch.CPU]));
        StringAssert.Contains(e.Message, "in-process");
    }

    [TestMethod]
    public void RendezvousHandsRankZerosIdToEveryRank()
    {
        var id = Enumerable.Range(0, 128).Select(i => (byte)(i * 7)).ToArray();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var server = Task.Run(() => Rendezvous.Serve(listener, id, peers: 2, TimeSpan.FromSeconds(20)));
        var fetched = Enumerable.Range(0, 2).Select(_ => Task.Run(() => Rendezvous.Fetch("127.0.0.1", port, TimeSpan.FromSeconds(20)))).ToArray();
        Task.WaitAll([server, .. fetched], TimeSpan.FromSeconds(30));
        foreach (var f in fetched) CollectionAssert.AreEqual(id, f.Result);
    }

    [TestMethod]
    public void EnvironmentFromTorchrunAndSlurm()
    {
        var torchrun = new Dictionary<string, string> { ["RANK"] = "3", ["WORLD_SIZE"] = "4", ["LOCAL_RANK"] = "1", ["MASTER_ADDR"] = "node0", ["MASTER_PORT"] = "1234" };
        Assert.AreEqual(new DistributedEnvironment(3, 4, 1, "node0", 1234), DistributedEnvironment.FromEnvironment(torchrun.GetValueOrDefault));
        var slurm = new Dictionary<string, string> { ["SLURM_PROCID"] = "1", ["SLURM_NTASKS"] = "2", ["SLURM_LOCALID"] = "1", ["MASTER_ADDR"] = "n1" };
        Assert.AreEqual(new DistributedEnvironment(1, 2, 1, "n1", DistributedEnvironment.DefaultPort), DistributedEnvironment.FromEnvironment(slurm.GetValueOrDefault));
        Assert.IsNull(DistributedEnvironment.FromEnvironment(new Dictionary<string, string>().GetValueOrDefault));
        var noMaster = new Dictionary<string, string> { ["RANK"] = "0", ["WORLD_SIZE"] = "2" };
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => DistributedEnvironment.FromEnvironment(noMaster.GetValueOrDefault));
        StringAssert.Contains(e.Message, "MASTER_ADDR");
    }
}
