using System.Runtime.InteropServices;
using MLNetExt.Blt.Modules;
using MLNetExt.Blt.Patching;
using MLNetExt.Training;
using static TorchSharp.torch;

namespace MLNetExt.Blt;

/// <summary>How to pick bytes: <see cref="Temperature"/> 0 is greedy; otherwise softmax sampling, optionally top-k, seeded.</summary>
public sealed record GenerationOptions(int MaxNewBytes = 64, double Temperature = 0, int? TopK = null, int Seed = 0, bool StopAtEos = true, bool UseCache = true);

/// <summary>
/// Byte generation for one sequence. With the cache, every byte runs the entropy model, the encoder and the decoder
/// for that byte only (KV caches), and the latent model runs only when a patch closes, i.e. when the next byte will
/// start a new patch; its output then serves the decoder until the following patch closes. Without the cache, the
/// whole prefix is re-run each step. Both give the same bytes (same logits up to float rounding).
/// </summary>
public static class BltGeneration
{
    /// <summary>Returns prompt + generated ids. The prompt must be a single document, normally starting with BOS.</summary>
    public static long[] Generate(this BltModel model, long[] prompt, GenerationOptions options)
    {
        if (prompt.Length == 0) throw new ArgumentException("The prompt needs at least one id (normally BOS).", nameof(prompt));
        using var _ = no_grad();
        var rng = new Random(options.Seed);
        var ids = new List<long>(prompt);
        using var stepper = options.UseCache ? new CachedStepper(model) : null;
        using var scope = NewDisposeScope();
        float[] logits = stepper is null ? LastLogits(model, ids) : [];
        if (stepper is not null) foreach (long id in prompt) logits = stepper.Step(id);
        for (int i = 0; i < options.MaxNewBytes; i++)
        {
            long next = Pick(logits, options, rng);
            ids.Add(next);
            if (options.StopAtEos && next == ByteTokenizer.Eos) break;
            if (i + 1 < options.MaxNewBytes) logits = stepper is null ? LastLogits(model, ids) : stepper.Step(next);
        }
        return ids.ToArray();
    }

    /// <summary>
    /// Runs <paramref name="ids"/> through the cached, byte-by-byte path: the logits at every position and how many
    /// times the latent model ran (once per completed patch). Matches <see cref="BltModel.forward"/> up to rounding.
    /// </summary>
    public static (float[][] Logits, int LatentRuns) ScoreIncrementally(this BltModel model, long[] ids)
    {
        using var _ = no_grad();
        using var stepper = new CachedStepper(model);
        var logits = ids.Select(stepper.Step).ToArray();
        return (logits, stepper.LatentRuns);
    }

    /// <summary>Generates from a text prompt (BOS added) and returns only the new text.</summary>
    public static string Generate(this BltModel model, string prompt, GenerationOptions options)
    {
        var ids = ByteTokenizer.Encode(prompt);
        return ByteTokenizer.Decode(model.Generate(ids, options).AsSpan(ids.Length));
    }

    static float[] LastLogits(BltModel model, List<long> ids)
    {
        using var scope = NewDisposeScope();
        using var logits = model.forward(BltBatch.ForInference([ids.ToArray()]));
        return logits[0, -1].to_type(ScalarType.Float32).cpu().data<float>().ToArray();
    }

    static long Pick(float[] logits, GenerationOptions o, Random rng)
    {
        if (o.Temperature <= 0) return Array.IndexOf(logits, logits.Max());
        var order = Enumerable.Range(0, logits.Length).OrderByDescending(i => logits[i]).Take(o.TopK ?? logits.Length).ToArray();
        double max = logits[order[0]];
        var weights = order.Select(i => Math.Exp((logits[i] - max) / o.Temperature)).ToArray();
        double u = rng.NextDouble() * weights.Sum();
        for (int j = 0; j < order.Length; j++)
        {
            u -= weights[j];
            if (u <= 0) return order[j];
        }
        return order[^1];
    }

    /// <summary>Incremental state: caches for every stack, the open patch's encoder states, the latest closed patch.</summary>
    sealed class CachedStepper : IDisposable
    {
        readonly BltModel model;
        readonly BltBackbone m;
        readonly BltConfig c;
        readonly List<KvCache> entropyCaches, encoderCaches, globalCaches, decoderCaches;
        readonly List<long> ids = [];
        readonly List<float> entropies = [];
        readonly List<Tensor[]> openPatch = [];   // per byte of the open patch: every encoder layer's output (1, 1, De)
        PatchState state;
        bool nextStarts = true;
        int closedPatches;

        public int LatentRuns => closedPatches;
        Tensor? patchKeys;                          // decoder keys (1, k, Dd) of the latest closed patch

        public CachedStepper(BltModel model)
        {
            (this.model, m, c) = (model, model.Backbone, model.Config);
            entropyCaches = Caches(m.patcher is null || !model.Patcher.NeedsEntropies ? 0 : m.patcher.LayerCount, null);
            encoderCaches = Caches(m.local_encoder.LayerCount, c.EncoderConfig.SlidingWindow);
            globalCaches = Caches(m.global_transformer.LayerCount, null);
            decoderCaches = Caches(m.local_decoder.LayerCount, c.DecoderConfig.SlidingWindow);
        }

        static List<KvCache> Caches(int n, int? window) => Enumerable.Range(0, n).Select(_ => new KvCache(window)).ToList();

        /// <summary>Feeds byte t and returns the logits predicting byte t + 1.</summary>
        public float[] Step(long id)
        {
            using var scope = NewDisposeScope();
            var device = model.Device;
            int t = ids.Count;
            bool starts = nextStarts;
            ids.Add(id);
            var idT = tensor(new[] { id }, device: device).view(1, 1);
            var pos = tensor(new long[] { t }, device: device).view(1, 1);

            // Entropy of the prediction at t decides whether byte t + 1 opens a patch.
            if (entropyCaches.Count > 0)
                entropies.Add(EntropyModel.Entropy(m.patcher!.Step(idT, t, entropyCaches)).item<float>());
            if (starts) { foreach (var states in openPatch) foreach (var s in states) s.Dispose(); openPatch.Clear(); }
            state = state.Add(id, starts);

            // Encoder for byte t.
            var hash = new long[HashNgrams.Count(c)];
            HashNgrams.At(CollectionsMarshal.AsSpan(ids), t, c, hash);
            var h = model.HashEmbed(idT, tensor(hash, device: device).view(1, 1, -1));
            var layers = m.local_encoder.Layers(h, Rope.Tables(pos, c.EncoderConfig.Layer.HeadDim, c.EncoderConfig.RopeTheta), mask: null, encoderCaches);
            openPatch.Add(layers.Select(x => x.DetachFromDisposeScope()).ToArray());

            // If byte t + 1 opens a patch, the open patch is complete: pool it and run the latent model once.
            nextStarts = model.Patcher.StartsPatch(t + 1, CollectionsMarshal.AsSpan(ids), CollectionsMarshal.AsSpan(entropies), state);
            if (nextStarts)
            {
                var perLayer = Enumerable.Range(0, layers.Count).Select(l => cat(openPatch.Select(b => b[l]).ToArray(), 1)).ToList();  // (1, L, De)
                var pooled = m.local_encoder.PoolPatches(perLayer, PatchPooling.OnePatch((int)perLayer[0].shape[1]), crossMask: null);   // (1, k, De)
                var latent = m.global_transformer.Forward(pooled.view(1, 1, -1), tensor(new long[] { closedPatches }, device: device).view(1, 1), mask: null, globalCaches);
                patchKeys?.Dispose();
                patchKeys = m.local_decoder.ProjectPatches(latent).DetachFromDisposeScope();                                    // (1, k, Dd)
                closedPatches++;
            }

            // Decoder for byte t reads the latest closed patch.
            var decoded = m.local_decoder.Forward(layers[^1], patchKeys!, Rope.Tables(pos, c.DecoderConfig.Layer.HeadDim, c.DecoderConfig.RopeTheta),
                mask: null, crossMask: null, decoderCaches);
            return model.LmHead.forward(decoded)[0, 0].to_type(ScalarType.Float32).cpu().data<float>().ToArray();
        }

        public void Dispose()
        {
            foreach (var cache in entropyCaches.Concat(encoderCaches).Concat(globalCaches).Concat(decoderCaches)) cache.Dispose();
            foreach (var states in openPatch) foreach (var s in states) s.Dispose();
            patchKeys?.Dispose();
        }
    }
}
