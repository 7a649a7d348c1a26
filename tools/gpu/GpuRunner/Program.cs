// GpuRunner: checks TorchSharp against a foreign libtorch (a PyTorch install) on a borrowed GPU machine.
//
//   GpuRunner probe|cuda-tests|blt-cuda|p7|p8 --out <dir> [--torch-lib <dir>] [--name value ...]   on the GPU machine
//   GpuRunner spam-lengths --out <dir>                                                      here (needs the network)
//
// Each command is one entry in Commands; add a new one (e.g. model speed runs) as its own class with a
// Run(RunnerArgs) method. Results go to a journal in --out, one JSON line per record, so a native crash
// loses at most the operation that was running (see Journal).
using MLNetExt.GpuRunner;

var commands = new Dictionary<string, Func<RunnerArgs, int>>
{
    ["probe"] = OpsProbe.Run,
    ["cuda-tests"] = CudaTests.Run,
    ["blt-cuda"] = BltCudaTests.Run,
    ["p7"] = P7Inference.Run,
    ["p8"] = P8Training.Run,
    ["spam-lengths"] = SpamLengths.Run,
};

if (args.Length == 0 || !commands.TryGetValue(args[0], out var command))
{
    Console.Error.WriteLine($"usage: GpuRunner <{string.Join("|", commands.Keys)}> --out <dir> [--torch-lib <dir>] [--name value ...]");
    return 2;
}
var options = RunnerArgs.Parse(args.AsSpan(1));
TorchLoader.Preload(options.TorchLib);
return command(options);
