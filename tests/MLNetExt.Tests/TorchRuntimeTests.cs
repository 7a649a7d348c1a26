using static TorchSharp.torch;

namespace MLNetExt.Tests;

[TestClass]
public sealed class TorchRuntimeTests
{
    // On Debian 12 / Ubuntu 22.04 this only passes because the build rewrote libLibTorchSharp.so's
    // GLIBCXX_3.4.32 requirement (build/GlibcxxVerneedPatch.cs); elsewhere it proves nothing broke.
    [TestMethod]
    public void TorchLoadsAndComputes()
    {
        using var a = tensor(new float[] { 1, 2, 3, 4 }).reshape(2, 2);
        using var b = a.matmul(a);
        CollectionAssert.AreEqual(new float[] { 7, 10, 15, 22 }, b.data<float>().ToArray());
    }
}
