using System.Net;
using System.Net.Sockets;

namespace MLNetExt.Training.Parallel.Nccl;

/// <summary>
/// Hands rank 0's NCCL unique id to every other rank over TCP: rank 0 listens on MASTER_ADDR:MASTER_PORT and
/// answers each of the other WorldSize-1 ranks once; the others connect (retrying while rank 0 starts up).
/// </summary>
internal static class Rendezvous
{
    /// <summary>Rank 0: serves <paramref name="payload"/> to <paramref name="peers"/> connections on <paramref name="listener"/>.</summary>
    public static void Serve(TcpListener listener, byte[] payload, int peers, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        for (int served = 0; served < peers; served++)
        {
            using var client = AcceptOrTimeout(listener, cts.Token, served, peers);
            using var stream = client.GetStream();
            stream.Write(BitConverter.GetBytes(payload.Length));
            stream.Write(payload);
        }
    }

    static TcpClient AcceptOrTimeout(TcpListener listener, CancellationToken token, int served, int peers)
    {
        try { return listener.AcceptTcpClientAsync(token).AsTask().GetAwaiter().GetResult(); }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"Rendezvous: only {served} of {peers} other ranks connected to {listener.LocalEndpoint}.");
        }
    }

    /// <summary>Other ranks: fetch the payload from rank 0, retrying until <paramref name="timeout"/>.</summary>
    public static byte[] Fetch(string host, int port, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(host, port);
                using var stream = client.GetStream();
                var length = new byte[4];
                stream.ReadExactly(length);
                var payload = new byte[BitConverter.ToInt32(length)];
                stream.ReadExactly(payload);
                return payload;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(100);
            }
            catch (SocketException e)
            {
                throw new TimeoutException($"Rendezvous: rank 0 at {host}:{port} did not answer within {timeout}.", e);
            }
        }
    }

    /// <summary>Rank 0's listener on MASTER_PORT (all interfaces, since other hosts connect to it).</summary>
    public static TcpListener Listen(int port)
    {
        var listener = new TcpListener(IPAddress.Any, port);
        listener.Start();
        return listener;
    }
}
