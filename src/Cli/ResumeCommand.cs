using System.CommandLine;

namespace MLNetExt.Cli;

/// <summary><c>mlnetext resume runs/x</c>: continues a run with its saved options from its newest complete checkpoint.</summary>
static class ResumeCommand
{
    public static Command Create(IReadOnlyList<IRunCommand> commands)
    {
        var run = new Argument<string>("run") { Description = "The run folder (the --out of the command that started it)." };
        var devices = new Option<string?>("--devices") { Description = "Replace the saved devices, e.g. cpu,cpu or cuda:0,cuda:1." };
        var command = new Command("resume", "Continue a run from its newest complete checkpoint, with the options it was started with.") { run, devices };
        command.SetAction((parse, ct) =>
        {
            string dir = parse.GetRequiredValue(run);
            return Task.FromResult(RunFolder.Guard(dir, () =>
            {
                string name = RunFolder.Command(dir);
                var owner = commands.FirstOrDefault(c => c.Name == name)
                    ?? throw new InvalidDataException($"{dir} was made by '{name}', which this mlnetext does not know.");
                return owner.Resume(dir, CliValues.Devices(parse.GetValue(devices)), ct);
            }));
        });
        return command;
    }
}
