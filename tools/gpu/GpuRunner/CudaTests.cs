using System.Text.Json.Nodes;
using MLNetExt.ModernBert;
using MLNetExt.ModernBert.Training;
using MLNetExt.Training;
using MLNetExt.Training.Objectives;
using MLNetExt.Training.Packing;
using MLNetExt.Training.Schedules;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace MLNetExt.GpuRunner;

/// <summary>
/// The "cuda-tests" command: the HF parity fixtures (--fixtures, default tests/MLNetExt.Tests/Fixtures/hf) run
/// through our ModernBERT on CUDA and on the CPU (max difference between them, and each against HF's output), then
/// masked-LM trainer steps (<see cref="ModernBertMaskedLmTask"/>) from the fixture's weights on its inputs: two fp32
/// steps on CUDA and on the CPU (same masking; the losses must agree) and one bf16 step on CUDA. Without CUDA every
/// step records ok = false.
/// <c>--device cpu</c> runs the same steps with the CPU in CUDA's place, to try the command on a host without a GPU.
/// </summary>
public static class CudaTests
{
    public static int Run(RunnerArgs args)
    {
        using var journal = new Journal(args.Out, Journal.RunnerName);
        string fixtures = args.Text("fixtures", "tests/MLNetExt.Tests/Fixtures/hf");
        string device = args.Text("device", "cuda:0");
        foreach (var (name, build) in Forwards)
            journal.Run($"cuda-tests.forward.{name}", () => CompareForward(Path.Combine(fixtures, name), build, device));
        journal.Run("cuda-tests.mlm_train_steps", () => TrainSteps(Path.Combine(fixtures, "modernbert_mlm"), device));
        journal.Run("cuda-tests.nccl_train_steps", () => NcclTrainSteps(Path.Combine(fixtures, "modernbert_mlm"), device));
        journal.Run("cuda-tests.flash_forward", () => FlashForward(Path.Combine(fixtures, "modernbert_base_model"), device));
        journal.WriteSummary(Path.Combine(args.Out, "results.json"));
        return 0;
    }

    /// <summary>Per fixture: load the model onto a device, then map the padded fixture input to HF's output layout.</summary>
    static readonly (string Name, Func<string, Device, Func<Tensor, Tensor, Tensor>> Build)[] Forwards =
    [
        ("modernbert_base_model", (dir, d) => Forward(ModernBertCheckpoint.Load(dir, c => new ModernBertModel(c)), d, (m, i) => i.Repad(m.call(i)))),
        ("modernbert_mlm", (dir, d) => Forward(ModernBertCheckpoint.Load(dir, c => new ModernBertForMaskedLM(c)), d, (m, i) => i.Repad(m.call(i, null)))),
        ("modernbert_cls_mean", (dir, d) => Forward(ModernBertCheckpoint.Load(dir, c => new ModernBertForSequenceClassification(c)), d, (m, i) => m.call(i))),
        ("modernbert_cls_cls", (dir, d) => Forward(ModernBertCheckpoint.Load(dir, c => new ModernBertForSequenceClassification(c)), d, (m, i) => m.call(i))),
    ];

    static Func<Tensor, Tensor, Tensor> Forward<TModel>(TModel model, Device device, Func<TModel, PackedInput, Tensor> output)
        where TModel : nn.Module, IModernBertModule
    {
        model.to(device).eval();
        return (ids, mask) => output(model, PackedInput.FromPadded(ids, mask, model.Config, device)).cpu();
    }

    static JsonObject CompareForward(string fixture, Func<string, Device, Func<Tensor, Tensor, Tensor>> build, string device)
    {
        RequireDevice(device);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var io = Safetensors.LoadStateDict(Path.Combine(fixture, "io.safetensors"));
        var (ids, mask) = (io["input_ids"], io["attention_mask"]);
        string modelDir = Path.Combine(fixture, "model");
        var onCuda = build(modelDir, new Device(device))(ids, mask);
        var onCpu = build(modelDir, CPU)(ids, mask);
        var reference = io.TryGetValue("last_hidden_state_eager", out var hidden) ? hidden : io["logits_eager"];
        // Per-token outputs [B, L, ...] are compared at real tokens only; pooled logits [B, C] everywhere.
        var real = reference.dim() == 3 ? mask.unsqueeze(-1).to(@bool).expand_as(reference) : ones_like(reference, @bool);
        return new JsonObject
        {
            ["ok"] = true,
            ["device"] = device,
            ["max_abs_diff_cuda_vs_cpu"] = MaxDiff(onCuda, onCpu, real),
            ["max_abs_diff_cuda_vs_hf"] = MaxDiff(onCuda, reference, real),
            ["max_abs_hf"] = reference.abs().max().item<float>(),
        };
    }

    /// <summary>Two fp32 steps on the device and on the CPU from the fixture weights, one bf16 step on the device.</summary>
    static (IReadOnlyList<MaskedBatch> Batch, ModernBertMaskedLmTask Task) MlmSetup(string fixture)
    {
        var io = Safetensors.LoadStateDict(Path.Combine(fixture, "io.safetensors"));
        var (ids, mask) = (io["input_ids"], io["attention_mask"]);
        var rows = Enumerable.Range(0, (int)ids.shape[0]).Select(r => ids[r].masked_select(mask[r].to(@bool)).data<long>().ToArray()).ToList();
        var batch = ModernBertMaskedLmTask.Unmasked([PackedBatch.FromSequences(rows)]);
        var config = ModernBertCheckpoint.LoadConfig(Path.Combine(fixture, "model"));
        // The fixture's vocabulary has no [MASK]: any ordinary id serves for a numerical comparison.
        var masking = new MlmMaskingOptions(MaskTokenId: 3, config.VocabSize, [config.PadTokenId, config.ClsTokenId, config.SepTokenId]);
        return (batch, new ModernBertMaskedLmTask(config, masking, Path.Combine(fixture, "model")));
    }

    static double[] Losses(string fixture, string on, TrainingPrecision precision, int steps, GradientBackend backend = GradientBackend.InProcess)
    {
        var (batch, task) = MlmSetup(fixture);
        var options = new TrainerOptions { Schedule = new WarmupLinear(1e-3, 0, 10), Devices = [on], Precision = precision, Backend = backend, ShowProgress = false };
        using var trainer = new Trainer<ModernBertForMaskedLM, MaskedBatch>(task, options);
        return Enumerable.Range(0, steps).Select(_ => trainer.TrainStep(batch).Loss).ToArray();
    }

    static bool Close(double[] a, double[] b) => a.Zip(b).All(p => Math.Abs(p.First - p.Second) <= 1e-4 * Math.Abs(p.Second));

    static JsonArray Json(double[] values) => new(values.Select(l => (JsonNode)l).ToArray());

    static JsonObject TrainSteps(string fixture, string device)
    {
        RequireDevice(device);
        var onDevice = Losses(fixture, device, TrainingPrecision.Float32, 2);
        var cpu = Losses(fixture, "cpu", TrainingPrecision.Float32, 2);
        var bf16 = Losses(fixture, device, TrainingPrecision.BFloat16, 1);
        return new JsonObject
        {
            ["device"] = device,
            ["ok"] = Close(onDevice, cpu) && double.IsFinite(bf16[0]),
            ["fp32_losses_device"] = Json(onDevice),
            ["fp32_losses_cpu"] = Json(cpu),
            ["bf16_loss_device"] = bf16[0],
        };
    }

    // The NCCL gradient backend (ncclCommInitAll over this machine's GPU) must train exactly like the in-process one.
    static JsonObject NcclTrainSteps(string fixture, string device)
    {
        RequireDevice(device);
        var nccl = Losses(fixture, device, TrainingPrecision.Float32, 2, GradientBackend.Nccl);
        var inProcess = Losses(fixture, device, TrainingPrecision.Float32, 2);
        return new JsonObject
        {
            ["device"] = device,
            ["ok"] = Close(nccl, inProcess),
            ["fp32_losses_nccl"] = Json(nccl),
            ["fp32_losses_in_process"] = Json(inProcess),
        };
    }

    /// <summary>
    /// The varlen flash kernel (PackedInput.FlashOnCuda) against the gathered SDPA path, bf16 forward and one bf16
    /// training step's loss from the same weights; it is off by default until this agrees on a GPU.
    /// </summary>
    static JsonObject FlashForward(string fixture, string device)
    {
        RequireDevice(device);
        using var scope = NewDisposeScope();
        var io = Safetensors.LoadStateDict(Path.Combine(fixture, "io.safetensors"));
        var (ids, mask) = (io["input_ids"], io["attention_mask"]);
        var model = ModernBertCheckpoint.Load(Path.Combine(fixture, "model"), c => new ModernBertModel(c));
        model.to(new Device(device)).to(bfloat16).eval();
        Tensor Run(bool flash)
        {
            PackedInput.FlashOnCuda = flash;
            try
            {
                using var _ = no_grad();
                using var input = PackedInput.FromPadded(ids, mask, model.Config, new Device(device));
                return input.Repad(model.call(input)).to(float32).cpu();
            }
            finally { PackedInput.FlashOnCuda = false; }
        }
        var (gathered, flash) = (Run(false), Run(true));
        var real = mask.unsqueeze(-1).to(@bool).expand_as(gathered);
        double diff = MaxDiff(flash, gathered, real), scale = gathered.abs().max().item<float>();
        return new JsonObject { ["ok"] = diff <= 0.05 * scale, ["device"] = device, ["max_abs_diff_flash_vs_sdpa_bf16"] = diff, ["max_abs"] = scale };
    }

    static void RequireDevice(string device)
    {
        if (device.StartsWith("cuda", StringComparison.Ordinal) && !torch.cuda.is_available()) throw new InvalidOperationException("CUDA is not available to TorchSharp");
    }

    static double MaxDiff(Tensor a, Tensor b, Tensor keep) =>
        (a.to(float64) - b.to(float64)).abs().masked_select(keep).max().item<double>();
}
