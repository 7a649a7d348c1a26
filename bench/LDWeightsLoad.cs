using MLNetExt.ModernBert;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace MLNetExt.Bench;

/// <summary>
/// LD: seconds to load a ModernBERT-base-shaped model.safetensors (149M float32 parameters, 596 MB) into a built
/// model with TorchSharp.PyBridge's <c>load_safetensors</c>, divided by seconds with our checked loader
/// (<see cref="ModernBertCheckpoint.LoadWeights"/>: header validation, key/shape/dtype check, then each tensor read
/// straight into its parameter). Runs alternate so load swings hit both; the loaded weights are asserted equal.
/// </summary>
public sealed class LDWeightsLoad : IBenchmark
{
    public string Id => "LD";
    public string Description => "weights load s, PyBridge load_safetensors / our checked loader (ModernBERT-base shape)";

    public void Run(string[] args)
    {
        int runs = BenchUtil.Option(args, "runs", 5);
        string dir = Directory.CreateTempSubdirectory("mlnetext-ld-").FullName;
        try
        {
            manual_seed(0);
            using var model = new ModernBertModel(ModernBertConfig.Base);
            string path = Path.Combine(dir, ModernBertCheckpoint.WeightsFile);
            ModernBertCheckpoint.Save(model, dir);
            using var expected = model.state_dict()["layers.21.mlp.Wo.weight"].clone();
            double ours = 0, theirs = 0;
            for (int i = 0; i < runs; i++)
            {
                using (no_grad()) foreach (var p in model.parameters()) p.zero_();
                theirs += BenchUtil.Time(() => model.load_safetensors(path, strict: true), 1, warmUp: i == 0);
                using (no_grad()) foreach (var p in model.parameters()) p.zero_();
                ours += BenchUtil.Time(() => ModernBertCheckpoint.LoadWeights(model, path), 1, warmUp: i == 0);
                if (!model.state_dict()["layers.21.mlp.Wo.weight"].eq(expected).all().item<bool>())
                    throw new InvalidOperationException("Our loader did not restore the saved weights.");
            }
            Console.WriteLine($"PyBridge load_safetensors: {theirs / runs:F3} s, our loader: {ours / runs:F3} s (mean of {runs})");
            Console.WriteLine($"LD: {theirs / ours:F2}");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
