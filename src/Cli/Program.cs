using System.CommandLine;
using MLNetExt.Cli;

// Each run command lives in its own file; register it here.
IRunCommand[] commands = [new PretrainMlmCommand()];

var root = new RootCommand("MLNetExt: pretrain ModernBERT models from the command line.");
foreach (var command in commands) root.Subcommands.Add(command.Create());
root.Subcommands.Add(ResumeCommand.Create(commands));
// Ctrl+C cancels training, which first saves a checkpoint: give it time to finish writing.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromMinutes(5) });
