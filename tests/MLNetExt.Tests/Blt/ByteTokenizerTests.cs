using System.Text;
using MLNetExt.Blt;

namespace MLNetExt.Tests.Blt;

[TestClass]
public sealed class ByteTokenizerTests
{
    [TestMethod]
    public void EncodesBytesPlusFourWithBosAndEos()
    {
        CollectionAssert.AreEqual(new long[] { 1, 'h' + 4, 'i' + 4, 2 }, ByteTokenizer.Encode("hi", addBos: true, addEos: true));
        CollectionAssert.AreEqual(new long[] { 0 + 4, 255 + 4 }, ByteTokenizer.Encode(new byte[] { 0, 255 }, addBos: false));
    }

    [TestMethod]
    public void RoundTripsNonAsciiText()
    {
        const string text = "héllo wörld — 日本語 😀 ✓";
        var ids = ByteTokenizer.Encode(text);
        Assert.AreEqual(Encoding.UTF8.GetByteCount(text) + 1, ids.Length);
        Assert.AreEqual(text, ByteTokenizer.Decode(ids));
    }

    [TestMethod]
    public void InvalidUtf8BytesPassThroughUntouched()
    {
        byte[] invalid = [0x66, 0xC3, 0x28, 0xFF, 0xE2, 0x82, 0x80, 0xBF];
        var ids = ByteTokenizer.Encode(invalid, addBos: true, addEos: true);
        CollectionAssert.AreEqual(invalid, ByteTokenizer.DecodeBytes(ids));
        // As a string, each invalid sequence becomes U+FFFD, deterministically.
        Assert.AreEqual(ByteTokenizer.Decode(ids), ByteTokenizer.Decode(ids));
        StringAssert.Contains(ByteTokenizer.Decode(ids), "\uFFFD");
        Assert.StartsWith("f", ByteTokenizer.Decode(ids));
    }

    [TestMethod]
    public void LoneSurrogateEncodesAsReplacementCharacter()
    {
        var ids = ByteTokenizer.Encode("a\uD800b", addBos: false);
        CollectionAssert.AreEqual(new long[] { 'a' + 4, 0xEF + 4, 0xBF + 4, 0xBD + 4, 'b' + 4 }, ids);
        Assert.AreEqual("a\uFFFDb", ByteTokenizer.Decode(ids));
    }

    [TestMethod]
    public void DecodeRejectsIdsOutsideTheVocabulary()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ByteTokenizer.DecodeBytes(new long[] { 5, 260 }));
        StringAssert.Contains(e.Message, "index 1");
    }
}
