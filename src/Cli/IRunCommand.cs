using System.CommandLine;

namespace MLNetExt.Cli;

/// <summary>
/// A command that starts a run in an output folder (e.g. <c>pretrain-mlm</c>) and can continue one it started.
/// Adding a command is one class implementing this plus one line in Program.cs.
/// </summary>
interface IRunCommand
{
    /// <summary>The command's name on the command line; also recorded in the run folder so <c>resume</c> finds it again.</summary>
    string Name { get; }

    Command Create();

    /// <summary>Continues the run in <paramref name="runDirectory"/> from its newest complete checkpoint; returns the exit code.</summary>
    int Resume(string runDirectory, IReadOnlyList<string>? devices, CancellationToken cancellationToken);
}
