using Mono.Cecil;
using Mono.Cecil.Cil;
using MLNetExt.Blt;
using MLNetExt.ModernBert;
using MLNetExt.Training;
using TorchSharp;

namespace MLNetExt.Tests.NativeLifetime;

/// <summary>
/// Scans the compiled src/ assemblies for native temporaries the garbage collector can free while an op still reads
/// them (see src/Training/Scalars.cs): implicit number-to-Scalar conversions, <c>ToScalar()</c> results not kept in a
/// disposed local or a field, and calls to TorchSharp methods that make such a temporary themselves. The list of those
/// methods is computed from TorchSharp's own IL, so a TorchSharp upgrade re-checks itself.
/// </summary>
[TestClass]
public sealed class ScalarLifetimeTests
{
    static readonly Lazy<HashSet<string>> UnsafeTorchSharpMethods = new(() => FindUnsafe(typeof(torch).Assembly.Location));

    [TestMethod]
    public void SourceAssembliesMakeNoFinalizableScalars()
    {
        var problems = new[] { typeof(Scalars), typeof(ModernBertModel), typeof(BltModel) }
            .SelectMany(t => Scan(t.Assembly.Location)).ToList();
        Assert.IsEmpty(problems, "Temporary scalars on native calls (use Scalars.* or `using var s = x.ToScalar()`):\n" + string.Join("\n", problems));
    }

    [TestMethod]
    public void TheScanFindsEachKindOfTemporary()
    {
        var unsafeMethods = UnsafeTorchSharpMethods.Value;
        // TorchSharp's own temporaries: tensor + tensor passes alpha = 1, square() is pow(2).
        Assert.Contains("TorchSharp.torch/Tensor TorchSharp.torch/Tensor::op_Addition(TorchSharp.torch/Tensor,TorchSharp.torch/Tensor)", unsafeMethods);
        Assert.Contains("TorchSharp.torch/Tensor TorchSharp.torch/Tensor::square()", unsafeMethods);
        Assert.DoesNotContain("TorchSharp.torch/Tensor TorchSharp.torch/Tensor::add(TorchSharp.torch/Tensor,TorchSharp.Scalar)", unsafeMethods);
        // Our own: this test assembly holds one of each below.
        var found = Scan(typeof(ScalarLifetimeTests).Assembly.Location).Where(p => p.Contains(nameof(Offenders))).ToList();
        Assert.HasCount(3, found, string.Join("\n", found));
    }

    /// <summary>One of each pattern the scan must report (never run).</summary>
    static class Offenders
    {
        public static torch.Tensor Implicit(torch.Tensor x) => x.mul(2f);
        public static torch.Tensor Dropped(torch.Tensor x) => x.mul(2f.ToScalar());
        public static torch.Tensor TorchSharpInternal(torch.Tensor x) => x + x;
        public static torch.Tensor Owned(torch.Tensor x)
        {
            using var two = 2f.ToScalar();
            return x.mul(two);
        }
    }

    /// <summary>
    /// Call sites the scan flags that provably make no Scalar: TorchSharp's TorchScript invoke turns float, double and
    /// long arguments into temporary Scalars, and these pass only tensors, tensor arrays and ints (passed by value).
    /// </summary>
    static readonly HashSet<string> AllowedCalls = ["AdamW.Step: CompilationUnit.invoke", "VarlenFlashAttention.Attend: CompilationUnit.invoke"];

    static IEnumerable<string> Scan(string assemblyPath)
    {
        using var assembly = AssemblyDefinition.ReadAssembly(assemblyPath, new ReaderParameters { ReadSymbols = true });
        foreach (var method in assembly.MainModule.GetTypes().SelectMany(t => t.Methods).Where(m => m.HasBody))
        {
            if (method.DeclaringType.FullName == typeof(Scalars).FullName) continue;  // the process-lifetime statics themselves
            bool disposesScalar = method.Body.Instructions.Any(IsDispose);
            foreach (var i in method.Body.Instructions)
            {
                if (i.Operand is not MethodReference called) continue;
                string? why = IsImplicitScalar(called) ? "implicit number-to-Scalar conversion"
                    : IsToScalar(called) && !KeptAndDisposed(i, disposesScalar) ? "ToScalar() result not kept in a disposed local or a field"
                    : UnsafeTorchSharpMethods.Value.Contains(called.FullName) ? $"{called.DeclaringType.Name}.{called.Name} makes a temporary Scalar inside TorchSharp"
                    : null;
                if (why is not null && !AllowedCalls.Contains($"{method.DeclaringType.Name}.{method.Name}: {called.DeclaringType.Name}.{called.Name}"))
                    yield return $"{Where(method, i)}: {why}";
            }
        }
    }

    static bool KeptAndDisposed(Instruction call, bool methodDisposesScalar) => call.Next?.OpCode.Code switch
    {
        Code.Stsfld or Code.Stfld => true,
        Code.Stloc or Code.Stloc_S or Code.Stloc_0 or Code.Stloc_1 or Code.Stloc_2 or Code.Stloc_3 => methodDisposesScalar,
        _ => false,
    };

    static bool IsImplicitScalar(MethodReference m) => m.DeclaringType.FullName == "TorchSharp.Scalar" && m.Name == "op_Implicit";

    static bool IsToScalar(MethodReference m) =>
        m.DeclaringType.FullName == "TorchSharp.ScalarExtensionMethods" && m.ReturnType.FullName == "TorchSharp.Scalar";

    static bool IsDispose(Instruction i) => i.Operand is MethodReference { Name: "Dispose" } m
        && m.DeclaringType.FullName is "TorchSharp.Scalar" or "System.IDisposable";

    static string Where(MethodDefinition method, Instruction at)
    {
        var point = method.Body.Instructions.TakeWhile(i => i != at).Append(at)
            .Select(i => method.DebugInformation.GetSequencePoint(i)).LastOrDefault(p => p is not null && !p.IsHidden);
        string location = point is null ? "?" : $"{Path.GetFileName(point.Document.Url)}:{point.StartLine}";
        return $"{location} ({method.DeclaringType.Name}.{method.Name})";
    }

    /// <summary>
    /// TorchSharp methods that create a Scalar they never dispose (e.g. <c>add(Tensor)</c> calling <c>add(t, 1)</c>),
    /// and, transitively, every method that calls one.
    /// </summary>
    static HashSet<string> FindUnsafe(string torchSharpPath)
    {
        using var assembly = AssemblyDefinition.ReadAssembly(torchSharpPath);
        var methods = assembly.MainModule.GetTypes().SelectMany(t => t.Methods)
            .Where(m => m.HasBody && m.ReturnType.FullName != "TorchSharp.Scalar" && !m.DeclaringType.FullName.StartsWith("TorchSharp.Scalar", StringComparison.Ordinal))
            .ToList();
        var found = methods.Where(m =>
                m.Body.Instructions.Any(i => i.Operand is MethodReference r && (IsImplicitScalar(r) || IsToScalar(r)))
                && !m.Body.Instructions.Any(IsDispose))
            .Select(m => m.FullName).ToHashSet();
        for (bool grew = true; grew;)
        {
            grew = false;
            foreach (var m in methods)
                if (!found.Contains(m.FullName) && m.Body.Instructions.Any(i => i.Operand is MethodReference r && found.Contains(r.FullName)))
                    grew |= found.Add(m.FullName);
        }
        return found;
    }
}
