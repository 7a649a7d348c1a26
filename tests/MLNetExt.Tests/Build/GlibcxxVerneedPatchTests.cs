using System.Text;

namespace MLNetExt.Tests.Build;

/// <summary>
/// The build step that lets TorchSharp's native library load on pre-GCC-13 libstdc++ (build/GlibcxxVerneedPatch.cs),
/// run on a minimal ELF64 file holding only what it reads: a string table and a version-needs section.
/// </summary>
[TestClass]
public sealed class GlibcxxVerneedPatchTests
{
    const string Wanted = "GLIBCXX_3.4.32", Available = "GLIBCXX_3.4.30";

    [TestMethod]
    public void PointsTheRequirementAtAnExistingOlderVersion()
    {
        using var file = new TempElf([Available, Wanted]);
        Assert.IsTrue(GlibcxxVerneedPatch.Patch(file.Path));
        var needs = file.ReadNeeds();
        CollectionAssert.AreEqual(new[] { Available, Available }, needs.Select(n => n.Name).ToArray());
        Assert.AreEqual(GlibcxxVerneedPatch.ElfHash(Available), needs[1].Hash, "the entry's hash must match its new name");
        Assert.IsFalse(File.Exists(file.Path + ".mlnetext-tmp"), "no temporary file is left behind");
    }

    [TestMethod]
    public void RewritesTheNameInPlaceWhenTheOlderVersionIsNotListed()
    {
        using var file = new TempElf([Wanted]);
        Assert.IsTrue(GlibcxxVerneedPatch.Patch(file.Path));
        Assert.AreEqual(Available, file.ReadNeeds().Single().Name);
    }

    [TestMethod]
    public void LeavesAFileWithoutTheRequirementAlone()
    {
        using var file = new TempElf([Available]);
        var before = File.ReadAllBytes(file.Path);
        Assert.IsFalse(GlibcxxVerneedPatch.Patch(file.Path));
        CollectionAssert.AreEqual(before, File.ReadAllBytes(file.Path));
        using var patched = new TempElf([Wanted]);
        GlibcxxVerneedPatch.Patch(patched.Path);
        Assert.IsFalse(GlibcxxVerneedPatch.Patch(patched.Path), "patching twice changes nothing");
    }

    [TestMethod]
    public void RefusesAFileThatIsNotElf64()
    {
        string path = System.IO.Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, Encoding.ASCII.GetBytes(new string('x', 100)));
            Assert.ThrowsExactly<InvalidDataException>(() => GlibcxxVerneedPatch.Patch(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>
    /// ELF64 little-endian: header, .dynstr, one Verneed (libstdc++.so.6) with a Vernaux per version, and three section
    /// headers (null, STRTAB, SHT_GNU_verneed linked to the STRTAB).
    /// </summary>
    sealed class TempElf : IDisposable
    {
        const int StrtabAt = 64, VerneedAt = 256, SectionsAt = 512;

        public string Path { get; } = System.IO.Path.GetTempFileName();

        public TempElf(string[] versions)
        {
            var elf = new byte[SectionsAt + 3 * 64];
            "\u007fELF"u8.CopyTo(elf);
            (elf[4], elf[5], elf[6]) = (2, 1, 1);                                   // 64-bit, little-endian, version 1
            Put(elf, 0x28, (ulong)SectionsAt);                                       // e_shoff
            Put(elf, 0x3A, (ushort)64);                                              // e_shentsize
            Put(elf, 0x3C, (ushort)3);                                               // e_shnum

            var strings = new List<byte> { 0 };
            int Add(string s) { int at = strings.Count; strings.AddRange(Encoding.ASCII.GetBytes(s)); strings.Add(0); return at; }
            int library = Add("libstdc++.so.6");
            var names = versions.Select(Add).ToArray();
            strings.ToArray().CopyTo(elf, StrtabAt);

            Put(elf, VerneedAt, (ushort)1);                                          // vn_version
            Put(elf, VerneedAt + 2, (ushort)versions.Length);                        // vn_cnt
            Put(elf, VerneedAt + 4, (uint)library);                                  // vn_file
            Put(elf, VerneedAt + 8, 16u);                                            // vn_aux
            for (int a = 0; a < versions.Length; a++)
            {
                int aux = VerneedAt + 16 + (16 * a);
                Put(elf, aux, GlibcxxVerneedPatch.ElfHash(versions[a]));                                 // vna_hash
                Put(elf, aux + 6, (ushort)(a + 2));                                  // vna_other
                Put(elf, aux + 8, (uint)names[a]);                                   // vna_name
                Put(elf, aux + 12, a + 1 < versions.Length ? 16u : 0u);              // vna_next
            }

            Put(elf, SectionsAt + 64 + 4, 3u);                                       // [1] SHT_STRTAB
            Put(elf, SectionsAt + 64 + 0x18, (ulong)StrtabAt);
            Put(elf, SectionsAt + 128 + 4, 0x6ffffffeu);                             // [2] SHT_GNU_verneed
            Put(elf, SectionsAt + 128 + 0x18, (ulong)VerneedAt);
            Put(elf, SectionsAt + 128 + 0x28, 1u);                                   // sh_link: the string table
            Put(elf, SectionsAt + 128 + 0x2C, 1u);                                   // sh_info: one Verneed
            File.WriteAllBytes(Path, elf);
        }

        public List<(string Name, uint Hash)> ReadNeeds()
        {
            var elf = File.ReadAllBytes(Path);
            int count = BitConverter.ToUInt16(elf, VerneedAt + 2);
            return Enumerable.Range(0, count).Select(a =>
            {
                int aux = VerneedAt + 16 + (16 * a), name = StrtabAt + (int)BitConverter.ToUInt32(elf, aux + 8);
                int end = Array.IndexOf(elf, (byte)0, name);
                return (Encoding.ASCII.GetString(elf, name, end - name), BitConverter.ToUInt32(elf, aux));
            }).ToList();
        }

        static void Put(byte[] elf, int at, ulong value) => BitConverter.GetBytes(value).CopyTo(elf, at);
        static void Put(byte[] elf, int at, uint value) => BitConverter.GetBytes(value).CopyTo(elf, at);
        static void Put(byte[] elf, int at, ushort value) => BitConverter.GetBytes(value).CopyTo(elf, at);

        public void Dispose() => File.Delete(Path);
    }
}
