using System.Reflection;
using MLNetExt.Bench;

// Benchmarks are discovered by reflection so each lives in its own file: `dotnet run -c Release --project bench -- P1`.
var all = Assembly.GetExecutingAssembly().GetTypes()
    .Where(t => typeof(IBenchmark).IsAssignableFrom(t) && !t.IsAbstract && !t.IsInterface)
    .Select(t => (IBenchmark)Activator.CreateInstance(t)!)
    .OrderBy(b => b.Id, StringComparer.Ordinal)
    .ToList();

if (args.Length == 0)
{
    Console.WriteLine("usage: bench <ID> [options]");
    foreach (var b in all) Console.WriteLine($"  {b.Id,-4} {b.Description}");
    return 1;
}
var bench = all.FirstOrDefault(b => string.Equals(b.Id, args[0], StringComparison.OrdinalIgnoreCase));
if (bench is null)
{
    Console.Error.WriteLine($"unknown benchmark '{args[0]}'; known: {string.Join(", ", all.Select(b => b.Id))}");
    return 2;
}
bench.Run(args[1..]);
return 0;
