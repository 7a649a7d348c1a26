using System.Buffers.Binary;
using System.Text;
using MLNetExt.Training.Checkpoints;

namespace MLNetExt.Tests.Training;

/// <summary>What the one header reader refuses before any tensor is read, each error naming the source and tensor.</summary>
[TestClass]
public sealed class SafetensorsHeaderTests
{
    static SafetensorsHeader Read(string json, int dataBytes)
    {
        var header = Encoding.UTF8.GetBytes(json);
        var file = new byte[8 + header.Length + dataBytes];
        BinaryPrimitives.WriteInt64LittleEndian(file, header.Length);
        header.CopyTo(file, 8);
        return SafetensorsHeader.Read(new MemoryStream(file), "entry 'x/Weights.safetensors'");
    }

    [TestMethod]
    public void ValidHeaderGivesEntriesAndTotals()
    {
        var h = Read("""{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"b":{"dtype":"BF16","shape":[4],"data_offsets":[24,32]}}""", 32);
        Assert.AreEqual(10, h.TotalElements);
        Assert.AreEqual(2, h.Tensors.Count);
        CollectionAssert.AreEqual(new long[] { 4 }, h.Tensors["b"].Shape);
    }

    [TestMethod]
    [DataRow("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12, "tensor 'b' starts at byte 4, inside the previous tensor")]
    [DataRow("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 12, "the tensors end at byte 8 of the data section but 12 bytes follow")]
    [DataRow("""{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}""", 8, "tensor 'a' has a negative dimension")]
    [DataRow("""{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}}""", 8, "tensor 'a' has shape [4611686018427387904, 4], too many values")]
    [DataRow("""{"a":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}}""", 8, "tensor 'a' has dtype \"Q4\"")]
    [DataRow("""{"a":{"dtype":"F32","shape":[2]}}""", 8, "the header is not a valid safetensors table")]
    [DataRow("""[1, 2]""", 0, "the header is not a JSON object")]
    public void CorruptHeader_ErrorNamesSourceAndProblem(string json, int dataBytes, string expected)
    {
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Read(json, dataBytes));
        StringAssert.StartsWith(e.Message, "Corrupt safetensors entry 'x/Weights.safetensors': ");
        StringAssert.Contains(e.Message, expected);
    }

    [TestMethod]
    public void HeaderLengthPastTheFileOrAbsurd_IsRefusedBeforeAllocating()
    {
        var file = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(file, 1L << 40);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => SafetensorsHeader.Read(new MemoryStream(file), "s")).Message, "a real one needs at most");
        BinaryPrimitives.WriteInt64LittleEndian(file, 100);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => SafetensorsHeader.Read(new MemoryStream(file), "s")).Message, "truncated");
    }
}
