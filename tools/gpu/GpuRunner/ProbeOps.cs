using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace MLNetExt.GpuRunner;

/// <summary>
/// The operations our models use, each a function of the device that builds its own inputs from a fixed seed
/// (on the CPU, then moved) and returns one tensor, so the same op run on CPU and on CUDA can be compared.
/// </summary>
public static class ProbeOps
{
    public static readonly (string Name, Func<Device, Tensor> Run)[] All =
    [
        ("zeros_ones_full", d => zeros(3, 4, device: d) + ones(3, 4, device: d) + full(3, 4, 2.5f, device: d)),
        ("arange", d => arange(0, 17, 3, ScalarType.Int64, device: d)),
        ("tensor_from_array", d => tensor(new float[] { 1, 2, 3, 4 }, device: d).reshape(2, 2)),
        ("randn_on_device", d => randn(new long[] { 64, 64 }, device: d).std()),
        ("copy_to_device_and_back", d => Rand(d, 5, 7).cpu().to(d)),
        ("to_bfloat16", d => Rand(d, 8, 8).to(ScalarType.BFloat16).to(ScalarType.Float32)),
        ("to_float16", d => Rand(d, 8, 8).to(ScalarType.Float16).to(ScalarType.Float32)),
        ("broadcast_arith", d => (Rand(d, 4, 1, 6) * Rand(d, 1, 5, 6) + 1) / 3),
        ("matmul_fp32", d => Rand(d, 33, 65).matmul(Rand(d, 65, 17))),
        ("matmul_bf16", d => Rand(d, 64, 96).bfloat16().matmul(Rand(d, 96, 48).bfloat16()).@float()),
        ("bmm", d => Rand(d, 3, 9, 16).bmm(Rand(d, 3, 16, 5))),
        ("linear_bias", d => F.linear(Rand(d, 2, 7, 48), Rand(d, 24, 48), Rand(d, 24))),
        ("linear_no_bias_bf16", d => F.linear(Rand(d, 2, 7, 48).bfloat16(), Rand(d, 24, 48).bfloat16()).@float()),
        ("layer_norm", d => F.layer_norm(Rand(d, 2, 5, 48), [48], Rand(d, 48), Rand(d, 48))),
        ("layer_norm_no_bias", d => F.layer_norm(Rand(d, 2, 5, 48), [48], Rand(d, 48), null)),
        ("gelu", d => F.gelu(Rand(d, 4, 33))),
        ("silu", d => F.silu(Rand(d, 4, 33))),
        ("softmax", d => F.softmax(Rand(d, 4, 33), -1)),
        ("log_softmax", d => F.log_softmax(Rand(d, 4, 33), -1)),
        ("rsqrt_pow_exp_log", d => Rand(d, 64).pow(2).add(1).rsqrt().exp().log()),
        ("rope_cos_sin", d =>
        {
            var inv = 1 / pow(10000, arange(0, 16, 2, ScalarType.Float32, device: d) / 16);
            var freqs = outer(arange(30, ScalarType.Float32, device: d), inv);   // (T, hd/2)
            return cat([freqs.cos(), freqs.sin()], -1);
        }),
        ("sdpa_no_mask", d => F.scaled_dot_product_attention(Rand(d, 2, 3, 17, 16), Rand(d, 2, 3, 17, 16), Rand(d, 2, 3, 17, 16))),
        ("sdpa_bool_mask", d =>
        {
            var keep = arange(17, device: d).lt(tensor(new long[] { 17, 9 }, device: d).unsqueeze(1));  // (B, T) padding
            return F.scaled_dot_product_attention(Rand(d, 2, 3, 17, 16), Rand(d, 2, 3, 17, 16), Rand(d, 2, 3, 17, 16),
                keep[.., TensorIndex.None, TensorIndex.None, ..]);                                       // (B, 1, 1, T)
        }),
        ("sdpa_float_mask_window", d =>
        {
            var pos = arange(17, device: d);
            var far = (pos.unsqueeze(0) - pos.unsqueeze(1)).abs().gt(4);                                  // (T, T) sliding window
            var bias = zeros(17, 17, device: d).masked_fill(far, float.NegativeInfinity);
            return F.scaled_dot_product_attention(Rand(d, 2, 3, 17, 16), Rand(d, 2, 3, 17, 16), Rand(d, 2, 3, 17, 16), bias);
        }),
        ("sdpa_causal", d => F.scaled_dot_product_attention(Rand(d, 2, 3, 17, 16), Rand(d, 2, 3, 17, 16), Rand(d, 2, 3, 17, 16), is_casual: true)),
        ("sdpa_bf16", d => F.scaled_dot_product_attention(Rand(d, 2, 4, 64, 64).bfloat16(), Rand(d, 2, 4, 64, 64).bfloat16(),
            Rand(d, 2, 4, 64, 64).bfloat16(), is_casual: true).@float()),
        ("embedding", d => nn.Embedding_from_pretrained(Rand(d, 300, 48)).call(Ids(d, 300, 2, 9))),
        ("index_select", d => Rand(d, 10, 6).index_select(0, Ids(d, 10, 7))),
        ("index_add", d => zeros(10, 6, device: d).index_add(0, Ids(d, 10, 7), Rand(d, 7, 6), 1.0)),
        ("gather", d => Rand(d, 4, 10).gather(1, Ids(d, 10, 4, 3))),
        ("scatter", d => zeros(4, 10, device: d).scatter(1, arange(3, device: d).expand(4, 3), Rand(d, 4, 3))),
        ("scatter_add", d => zeros(4, 10, device: d).scatter_add(1, Ids(d, 10, 4, 6), Rand(d, 4, 6))),
        ("cat_split_chunk", d =>
        {
            var x = cat([Rand(d, 2, 5), Rand(d, 2, 7)], 1);
            var parts = x.split(4, 1);
            return cat([.. x.chunk(3, 1), .. parts], 1);
        }),
        ("view_transpose_contiguous", d => Rand(d, 2, 5, 3, 4).transpose(1, 2).contiguous().view(2, 3, 20)),
        ("where_masked_fill", d => where(Rand(d, 5, 5).gt(0), Rand(d, 5, 5), 0f).masked_fill(eye(5, device: d).to(ScalarType.Bool), -1)),
        ("triu_tril", d => ones(6, 6, device: d).triu(1) + ones(6, 6, device: d).tril(-2) * 2),
        ("cumsum", d => Ids(d, 5, 3, 8).cumsum(1)),
        ("repeat_interleave_nonzero", d => tensor(new long[] { 0, 2, 0, 1 }, device: d).repeat_interleave(2).nonzero()),
        ("topk", d => Rand(d, 3, 20).topk(5, 1).values),
        ("argmax_max_sum_mean", d => stack([Rand(d, 3, 20).argmax(1).@float(), Rand(d, 3, 20).max(1).values,
            Rand(d, 3, 20).sum(1), Rand(d, 3, 20).mean([1])])),
        ("cross_entropy_ignore_index", d =>
        {
            var targets = Ids(d, 30, 12).clone();
            targets[TensorIndex.Slice(0, 4)] = tensor(-100L, device: d);
            return F.cross_entropy(Rand(d, 12, 30), targets, ignore_index: -100);
        }),
        ("dropout_train", d => F.dropout(ones(1000, device: d), 0.5, training: true).sum().gt(0)),
        ("backward", d => TinyNetGradients(d)[0]),
        ("adamw_step", d =>
        {
            using var net = TinyNet(d);
            using var optimizer = optim.AdamW(net.parameters(), lr: 1e-2, weight_decay: 0.01);
            for (int i = 0; i < 3; i++)
            {
                optimizer.zero_grad();
                Loss(net, d).backward();
                optimizer.step();
            }
            return net.weight.detach().clone();
        }),
        ("clip_grad_norm", d =>
        {
            using var net = TinyNet(d);
            Loss(net, d).backward();
            var norm = nn.utils.clip_grad_norm_(net.parameters(), 0.1);
            return stack([tensor(norm, device: d), net.weight.grad!.norm()]);
        }),
        ("safetensors_save_load", d =>
        {
            string file = Path.Combine(Path.GetTempPath(), $"gpurunner-{Environment.ProcessId}-{d.type}.safetensors");
            using var source = TinyNet(d);
            source.save_safetensors(file);
            using var target = nn.Linear(48, 30, device: d);
            target.load_safetensors(file);
            File.Delete(file);
            return target.weight.detach().clone();
        }),
    ];

    /// <summary>Standard normal values from a fixed seed, drawn on the CPU so every device sees the same numbers.</summary>
    static Tensor Rand(Device d, params long[] shape)
    {
        using var g = new Generator(unchecked((ulong)Seed(shape)));
        return randn(shape, generator: g).to(d);
    }

    static Tensor Ids(Device d, long high, params long[] shape)
    {
        using var g = new Generator(unchecked((ulong)Seed(shape) + 7));
        return randint(high, shape, generator: g).to(d);
    }

    static long Seed(long[] shape) => shape.Aggregate(17L, (h, s) => h * 31 + s);

    static TorchSharp.Modules.Linear TinyNet(Device d)
    {
        var net = nn.Linear(48, 30, device: d);
        using (no_grad())
        {
            net.weight.copy_(Rand(d, 30, 48) * 0.1);
            net.bias!.copy_(Rand(d, 30) * 0.1);
        }
        return net;
    }

    static Tensor Loss(nn.Module<Tensor, Tensor> net, Device d) =>
        F.cross_entropy(net.call(F.gelu(Rand(d, 12, 48))), Ids(d, 30, 12));

    static Tensor[] TinyNetGradients(Device d)
    {
        using var net = TinyNet(d);
        Loss(net, d).backward();
        return [.. net.parameters().Select(p => p.grad!.clone())];
    }
}
