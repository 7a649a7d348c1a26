using System.CommandLine;
using System.Text.Json;
using MLNetExt.Blt.Training;

namespace MLNetExt.Cli;

/// <summary>
/// <c>mlnetext pretrain-blt</c>: entropy model, patch-size calibration, then a Byte Latent Transformer, via
/// <see cref="BltPretraining"/>. The flags are the commonly tuned subset of <see cref="BltPretrainingOptions"/>.
/// </summary>
sealed class PretrainBltCommand : IRunCommand
{
    const string OptionsFile = "blt-options.json";

    public string Name => "pretrain-blt";

    public Command Create()
    {
        var defaults = new BltPretrainingOptions { OutputDirectory = "" };
        var text = new Option<string?>("--text") { Description = "A UTF-8 text file (default: Moby Dick, fetched once)." };
        var steps = new Option<int>("--steps") { DefaultValueFactory = _ => defaults.Steps, Description = "BLT optimizer steps." };
        var entropySteps = new Option<int>("--entropy-steps") { DefaultValueFactory = _ => defaults.EntropySteps, Description = "Entropy-model optimizer steps." };
        var batchBytes = new Option<int>("--batch-bytes") { DefaultValueFactory = _ => defaults.BatchBytes, Description = "Bytes per step, packed without padding." };
        var sequenceLength = new Option<int>("--sequence-length") { DefaultValueFactory = _ => defaults.SequenceLength, Description = "Longest document; longer texts are cut." };
        var patchSize = new Option<double>("--patch-size") { DefaultValueFactory = _ => defaults.TargetPatchSize, Description = "Target mean patch size the entropy threshold is calibrated to." };
        var globalHidden = new Option<int>("--global-hidden") { DefaultValueFactory = _ => defaults.GlobalHiddenSize, Description = "Latent transformer width." };
        var globalLayers = new Option<int>("--global-layers") { DefaultValueFactory = _ => defaults.GlobalLayers, Description = "Latent transformer layers." };
        var lr = new Option<double>("--lr") { DefaultValueFactory = _ => defaults.LearningRate, Description = "Peak learning rate of the BLT." };
        var devices = new Option<string>("--devices") { DefaultValueFactory = _ => "cpu", Description = "One replica per entry: cpu,cpu or cuda:0,cuda:1." };
        var precision = new Option<string>("--precision") { DefaultValueFactory = _ => "fp32", Description = "fp32 or bf16 (bf16 compute, fp32 master weights)." };
        precision.AcceptOnlyFromAmong("fp32", "bf16");
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => defaults.Seed };
        var checkpointEvery = new Option<int>("--checkpoint-every") { DefaultValueFactory = _ => defaults.CheckpointEvery, Description = "Steps between checkpoints." };
        var output = new Option<string>("--out") { Required = true, Description = "Run folder; the Hugging Face model lands in <out>/model, the entropy plot in <out>/entropy.png." };

        var command = new Command(Name, "Pretrain a Byte Latent Transformer (entropy model, then BLT) on text.")
        {
            text, steps, entropySteps, batchBytes, sequenceLength, patchSize, globalHidden, globalLayers, lr, devices, precision, seed, checkpointEvery, output,
        };
        command.SetAction((parse, ct) =>
        {
            string dir = parse.GetRequiredValue(output);
            return Task.FromResult(RunFolder.Guard(dir, () =>
            {
                var options = defaults with
                {
                    OutputDirectory = dir,
                    TextFile = parse.GetValue(text),
                    Steps = parse.GetValue(steps),
                    EntropySteps = parse.GetValue(entropySteps),
                    BatchBytes = parse.GetValue(batchBytes),
                    SequenceLength = parse.GetValue(sequenceLength),
                    TargetPatchSize = parse.GetValue(patchSize),
                    GlobalHiddenSize = parse.GetValue(globalHidden),
                    GlobalLayers = parse.GetValue(globalLayers),
                    LearningRate = parse.GetValue(lr),
                    Devices = CliValues.Devices(parse.GetRequiredValue(devices))!,
                    Precision = CliValues.Precision(parse.GetRequiredValue(precision)),
                    Seed = parse.GetValue(seed),
                    CheckpointEvery = parse.GetValue(checkpointEvery),
                    ShowProgress = true,
                };
                options.Validate();
                RunFolder.Record(dir, Name);
                File.WriteAllText(Path.Combine(dir, OptionsFile), JsonSerializer.Serialize(options));
                return Report(BltPretraining.Run(options, cancellationToken: ct));
            }));
        });
        return command;
    }

    // BltPretraining resumes each stage from its newest checkpoint when rerun with the same options.
    public int Resume(string runDirectory, IReadOnlyList<string>? devices, CancellationToken cancellationToken)
    {
        string path = Path.Combine(runDirectory, OptionsFile);
        var options = JsonSerializer.Deserialize<BltPretrainingOptions>(File.ReadAllText(path))
            ?? throw new InvalidDataException($"{path} holds no BLT pretraining options.");
        return Report(BltPretraining.Run(options with { OutputDirectory = runDirectory, Devices = devices ?? options.Devices, ShowProgress = true }, cancellationToken: cancellationToken));
    }

    static int Report(BltPretrainingResult result)
    {
        Console.WriteLine($"held-out bits per byte: {result.BitsPerByte:F4} (entropy model {result.EntropyBitsPerByte:F4}); " +
                          $"threshold {result.Threshold:F3}, mean patch size {result.Flops.MeanPatchSize:F2}");
        Console.WriteLine($"model: {result.ModelDirectory}  plot: {result.PlotPath}");
        return 0;
    }
}
