// Writes copies of assemblies with every type, method and field made public, for compiling against only.
// Usage: Publicizer <outputDir> <assembly.dll>...
// The copies keep the originals' identity, so at run time the real, unchanged assemblies load; the
// compiled code reaches their internals through [IgnoresAccessChecksTo] (see ../MLNetInternals.cs).
using Mono.Cecil;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: Publicizer <outputDir> <assembly.dll>...");
    return 2;
}
string outputDir = args[0];
Directory.CreateDirectory(outputDir);
foreach (string input in args[1..])
{
    using var resolver = new DefaultAssemblyResolver();
    resolver.AddSearchDirectory(Path.GetDirectoryName(Path.GetFullPath(input))!);
    using var assembly = AssemblyDefinition.ReadAssembly(input, new ReaderParameters { AssemblyResolver = resolver });
    foreach (var type in assembly.MainModule.GetTypes()) Publicize(type);
    string output = Path.Combine(outputDir, Path.GetFileName(input));
    assembly.Write(output);
    Console.WriteLine($"Publicizer: {input} -> {output}");
}
return 0;

static void Publicize(TypeDefinition type)
{
    if (type.IsNested) type.IsNestedPublic = true;
    else type.IsPublic = true;
    foreach (var method in type.Methods) method.IsPublic = true;
    // Compiler-generated backing fields would clash with their events' and properties' names once public.
    foreach (var field in type.Fields)
        if (!type.Events.Any(e => e.Name == field.Name) && !type.Properties.Any(p => p.Name == field.Name)) field.IsPublic = true;
}
