// Compiled by MSBuild's RoslynCodeTaskFactory (see MLNetExt.TorchSharp.targets).
//
// TorchSharp 0.107's libLibTorchSharp.so asks for GLIBCXX_3.4.32 (GCC 13) for a single symbol,
// _ZSt21ios_base_library_initv, that it never relocates. Distros with GCC 12's libstdc++ (Debian 12,
// Ubuntu 22.04) stop at 3.4.30, so the loader refuses the library and TorchSharp reports a misleading
// "doesn't contain a reference to libtorch-cpu-linux-x64". Pointing that one version requirement at
// GLIBCXX_3.4.30 makes it load. We only ever touch the copy in a build or publish folder. The rewrite is made
// whatever the build host's libstdc++: the output may run elsewhere (published on Ubuntu 24.04, run on Debian 12),
// and a newer libstdc++ has GLIBCXX_3.4.30 too, so the patched library loads everywhere.
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class GlibcxxVerneedPatch : Microsoft.Build.Utilities.Task
{
    const string Wanted = "GLIBCXX_3.4.32";
    const string Available = "GLIBCXX_3.4.30";
    const uint ShtGnuVerneed = 0x6ffffffe;

    [Required] public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();

    public override bool Execute()
    {
        foreach (var item in Files)
        {
            string path = item.ItemSpec;
            try
            {
                if (Patch(path)) Log.LogMessage(MessageImportance.Normal, $"MLNetExt: {path}: requirement {Wanted} -> {Available}");
            }
            catch (Exception e) when (e is IOException || e is InvalidDataException || e is UnauthorizedAccessException)
            {
                Log.LogWarning($"MLNetExt: could not patch {path} for this libstdc++ ({e.Message}); TorchSharp may fail to load.");
            }
        }
        return !Log.HasLoggedErrors;
    }

    /// <summary>Rewrites the Vernaux entry naming <see cref="Wanted"/>; returns false when there is none.</summary>
    internal static bool Patch(string path)
    {
        byte[] elf = File.ReadAllBytes(path);
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException("not a little-endian ELF64 file");
        long shoff = (long)BitConverter.ToUInt64(elf, 0x28);
        int shentsize = BitConverter.ToUInt16(elf, 0x3A), shnum = BitConverter.ToUInt16(elf, 0x3C);
        for (int s = 0; s < shnum; s++)
        {
            long sh = shoff + (long)s * shentsize;
            if (BitConverter.ToUInt32(elf, (int)sh + 4) != ShtGnuVerneed) continue;
            long offset = (long)BitConverter.ToUInt64(elf, (int)sh + 0x18);
            uint link = BitConverter.ToUInt32(elf, (int)sh + 0x28), count = BitConverter.ToUInt32(elf, (int)sh + 0x2C);
            long strtab = (long)BitConverter.ToUInt64(elf, (int)(shoff + link * shentsize) + 0x18);
            return RewriteVerneed(elf, offset, count, strtab) && Save(path, elf);
        }
        return false;
    }

    static bool RewriteVerneed(byte[] elf, long verneed, uint count, long strtab)
    {
        int wantedAux = -1, availableName = -1;
        long need = verneed;
        for (uint n = 0; n < count; n++)
        {
            int auxCount = BitConverter.ToUInt16(elf, (int)need + 2);
            long aux = need + BitConverter.ToUInt32(elf, (int)need + 8);
            for (int a = 0; a < auxCount; a++)
            {
                int name = (int)BitConverter.ToUInt32(elf, (int)aux + 8);
                string version = ReadString(elf, strtab + name);
                if (version == Wanted) wantedAux = (int)aux;
                if (version == Available) availableName = name;
                aux += BitConverter.ToUInt32(elf, (int)aux + 12);
            }
            need += BitConverter.ToUInt32(elf, (int)need + 12);
        }
        if (wantedAux < 0) return false;
        if (availableName < 0)
        {
            // Same length, so the string can be rewritten in place.
            availableName = (int)BitConverter.ToUInt32(elf, wantedAux + 8);
            Encoding.ASCII.GetBytes(Available).CopyTo(elf, strtab + availableName);
        }
        BitConverter.GetBytes(ElfHash(Available)).CopyTo(elf, wantedAux);
        BitConverter.GetBytes((uint)availableName).CopyTo(elf, wantedAux + 8);
        return true;
    }

    /// <summary>Writes beside the file, then renames over it: a reader sees the old or the new library, never half of one.</summary>
    static bool Save(string path, byte[] elf)
    {
        string temp = path + ".mlnetext-tmp";
        File.WriteAllBytes(temp, elf);
        File.Replace(temp, path, null);
        return true;
    }

    static string ReadString(byte[] data, long start)
    {
        long end = start;
        while (data[end] != 0) end++;
        return Encoding.ASCII.GetString(data, (int)start, (int)(end - start));
    }

    internal static uint ElfHash(string name)
    {
        uint h = 0;
        foreach (char c in name)
        {
            h = (h << 4) + c;
            uint g = h & 0xf0000000;
            if (g != 0) h ^= g >> 24;
            h &= ~g;
        }
        return h;
    }
}
