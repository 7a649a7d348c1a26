using System.CommandLine;
using MLNetExt.ModernBert.Training;

namespace MLNetExt.Cli;

/// <summary><c>mlnetext pretrain-mlm</c>: ModernBERT masked-LM pretraining via <see cref="MaskedLmPretraining"/>.</summary>
sealed class PretrainMlmCommand : IRunCommand
{
    public string Name => "pretrain-mlm";

    public Command Create()
    {
        var defaults = new MaskedLmPretrainingOptions { Data = "", OutputDirectory = "" };
        var data = new Option<string>("--data") { Required = true, Description = "A text file, a folder of .txt files, or spam / moby-dick (public datasets, fetched once)." };
        var config = new Option<string>("--config") { DefaultValueFactory = _ => defaults.Config, Description = "tiny, small, base, or a ModernBERT config.json." };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "A tokenizer.json, or gpt2 (default: GPT-2's BPE plus ModernBERT's special tokens)." };
        var devices = new Option<string>("--devices") { DefaultValueFactory = _ => "cpu", Description = "One replica per entry: cpu,cpu or cuda:0,cuda:1." };
        var precision = new Option<string>("--precision") { DefaultValueFactory = _ => "fp32", Description = "fp32 or bf16 (bf16 compute, fp32 master weights)." };
        precision.AcceptOnlyFromAmong("fp32", "bf16");
        var steps = new Option<int>("--steps") { DefaultValueFactory = _ => defaults.Steps, Description = "Optimizer steps." };
        var batchTokens = new Option<int>("--batch-tokens") { DefaultValueFactory = _ => defaults.BatchTokens, Description = "Tokens per step, packed without padding." };
        var maxLength = new Option<int>("--max-length") { DefaultValueFactory = _ => defaults.MaxSequenceLength, Description = "Longest sequence; longer documents are cut into chunks." };
        var lr = new Option<double>("--lr") { DefaultValueFactory = _ => defaults.LearningRate, Description = "Peak learning rate." };
        var warmup = new Option<int>("--warmup") { DefaultValueFactory = _ => defaults.WarmupSteps, Description = "Warm-up steps (then flat, linear decay over the last 10%)." };
        var maskProbability = new Option<double>("--mask-prob") { DefaultValueFactory = _ => defaults.MaskProbability, Description = "Share of tokens masked." };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => defaults.Seed };
        var checkpointEvery = new Option<int>("--checkpoint-every") { DefaultValueFactory = _ => defaults.CheckpointEvery, Description = "Steps between checkpoints." };
        var output = new Option<string>("--out") { Required = true, Description = "Run folder; the Hugging Face model lands in <out>/final." };

        var command = new Command(Name, "Pretrain a ModernBERT masked language model from text.")
        {
            data, config, tokenizer, devices, precision, steps, batchTokens, maxLength, lr, warmup, maskProbability, seed, checkpointEvery, output,
        };
        command.SetAction((parse, ct) =>
        {
            string dir = parse.GetRequiredValue(output);
            return Task.FromResult(RunFolder.Guard(dir, () =>
            {
                var options = new MaskedLmPretrainingOptions
                {
                    Data = parse.GetRequiredValue(data),
                    OutputDirectory = dir,
                    Config = parse.GetRequiredValue(config),
                    Tokenizer = parse.GetValue(tokenizer),
                    Devices = CliValues.Devices(parse.GetRequiredValue(devices))!,
                    Precision = CliValues.Precision(parse.GetRequiredValue(precision)),
                    Steps = parse.GetValue(steps),
                    BatchTokens = parse.GetValue(batchTokens),
                    MaxSequenceLength = parse.GetValue(maxLength),
                    LearningRate = parse.GetValue(lr),
                    WarmupSteps = parse.GetValue(warmup),
                    MaskProbability = parse.GetValue(maskProbability),
                    Seed = parse.GetValue(seed),
                    CheckpointEvery = parse.GetValue(checkpointEvery),
                    ShowProgress = true,
                };
                RunFolder.Record(dir, Name);
                return Report(MaskedLmPretraining.Run(options, cancellationToken: ct));
            }));
        });
        return command;
    }

    public int Resume(string runDirectory, IReadOnlyList<string>? devices, CancellationToken cancellationToken) =>
        Report(MaskedLmPretraining.Resume(runDirectory, devices, cancellationToken: cancellationToken));

    static int Report(PretrainingResult result)
    {
        CliValues.PrintSummary(result.Training.FinalStep, result.TokensPerSecond, result.Mfu, result.FinalDirectory);
        return 0;
    }
}
