// Compiled into every project that sets <UsesMLNetInternals>true</UsesMLNetInternals>
// (see MLNetExt.MLNetInternals.targets). The runtime honours this attribute by name: code in this
// assembly may use the internals of the named assemblies without access checks.
// Each such assembly declares its own internal copy; one that also sees another's (InternalsVisibleTo) must not warn.
#pragma warning disable CS0436
[assembly: System.Runtime.CompilerServices.IgnoresAccessChecksTo("Microsoft.ML.Core")]
[assembly: System.Runtime.CompilerServices.IgnoresAccessChecksTo("Microsoft.ML.Data")]
#pragma warning restore CS0436

namespace System.Runtime.CompilerServices
{
    [AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
    internal sealed class IgnoresAccessChecksToAttribute(string assemblyName) : Attribute
    {
        public string AssemblyName { get; } = assemblyName;
    }
}
