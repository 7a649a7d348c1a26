using System.CommandLine;
using System.Runtime.InteropServices;
using MLNetExt.Cli;

// Each run command lives in its own file; register it here.
IRunCommand[] commands = [new PretrainMlmCommand(), new PretrainBltCommand()];

var root = new RootCommand("MLNetExt: pretrain ModernBERT and BLT models from the command line.");
foreach (var command in commands) root.Subcommands.Add(command.Create());
root.Subcommands.Add(ResumeCommand.Create(commands));

// Ctrl+C or SIGTERM stops training after the current step, which saves a checkpoint first; a second Ctrl+C kills.
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = !stop.IsCancellationRequested;
    stop.Cancel();
};
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stop.Cancel();
});
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, stop.Token);
