using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetExt.Training.MLNet;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNetExt.Bench;

/// <summary>
/// What the shared ML.NET scoring path costs: rows/s of <c>Transform</c> + reading Score for every row, over rows/s
/// of the same model called directly on the same batches of pre-read items. A byte-level MLP stands in for a model.
/// </summary>
public sealed class ScoringOverheadBenchmark : IBenchmark
{
    public string Id => "SCORE-OVERHEAD";
    public string Description => "ML.NET Transform throughput / direct batched model throughput (byte MLP stand-in)";

    public void Run(string[] args)
    {
        torch.set_num_threads(Math.Max(1, Environment.ProcessorCount / 2));
        var ml = new MLContext(seed: 1);
        var random = new Random(1);
        var rows = Enumerable.Range(0, 1500).Select(_ => new Row { Text = new string(Enumerable.Range(0, random.Next(20, 200)).Select(_ => (char)random.Next(32, 127)).ToArray()) }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows);
        var model = new ByteMlpTransformer(ml, new ScoringOptions(TokenBudget: 8192, MaxRows: 128));
        var batches = model.Batches(rows.Select(r => ByteMlpTransformer.Tokenize(r.Text)).ToList());

        double Direct()
        {
            var watch = Stopwatch.StartNew();
            foreach (var batch in batches) model.Direct(batch);
            return rows.Length / watch.Elapsed.TotalSeconds;
        }
        double ViaMLNet()
        {
            var watch = Stopwatch.StartNew();
            var scored = model.Transform(data);
            using var cursor = scored.GetRowCursor([scored.Schema["Score"]]);
            var score = cursor.GetGetter<float>(scored.Schema["Score"]);
            float value = 0;
            while (cursor.MoveNext()) score(ref value);
            return rows.Length / watch.Elapsed.TotalSeconds;
        }

        Direct();  // warm up torch and both paths
        ViaMLNet();
        double direct = 0, viaMLNet = 0;
        for (int rep = 0; rep < 3; rep++)
        {
            direct = Math.Max(direct, Direct());
            viaMLNet = Math.Max(viaMLNet, ViaMLNet());
        }
        Console.WriteLine($"direct: {direct:F0} rows/s, Transform: {viaMLNet:F0} rows/s ({batches.Count} batches of up to 8192 tokens)");
        Console.WriteLine($"{Id}: {viaMLNet / direct:F3}");
    }

    sealed class Row
    {
        public string Text { get; set; } = "";
    }

    sealed class ByteMlp : Module<Tensor, Tensor, Tensor>
    {
        readonly Embedding embed = Embedding(256, 256);
        readonly Linear up = Linear(256, 512);
        readonly Linear down = Linear(512, 1);

        public ByteMlp() : base(nameof(ByteMlp)) => RegisterComponents();

        public override Tensor forward(Tensor tokens, Tensor rows)
        {
            var perToken = down.forward(functional.gelu(up.forward(embed.forward(tokens))));   // (N, 1)
            return zeros(rows[-1].item<long>() + 1, 1).index_add_(0, rows, perToken, 1);       // (B, 1)
        }
    }

    sealed class ByteMlpTransformer(IHostEnvironment env, ScoringOptions scoring)
        : ScoringTransformer<long[], float>(env, nameof(ByteMlpTransformer), scoring)
    {
        readonly ByteMlp _model = new();

        public static long[] Tokenize(string text) => text.Select(c => (long)(c & 0xFF)).ToArray();

        /// <summary>The batches the cursor forms: rows in order until the next would pass the budget.</summary>
        public List<long[][]> Batches(List<long[]> items)
        {
            var batches = new List<long[][]>();
            var current = new List<long[]>();
            int tokens = 0;
            foreach (var item in items)
            {
                if (current.Count > 0 && (tokens + item.Length > Scoring.TokenBudget || current.Count == Scoring.MaxRows))
                {
                    batches.Add(current.ToArray());
                    (current, tokens) = ([], 0);
                }
                current.Add(item);
                tokens += item.Length;
            }
            batches.Add(current.ToArray());
            return batches;
        }

        public float[] Direct(IReadOnlyList<long[]> items) => ScoreBatch(items);

        protected override IReadOnlyList<ColumnRequirement> InputColumns => [ColumnRequirement.Text("Text")];

        protected override IReadOnlyList<ScoreColumn<float>> OutputColumns => [ScoreColumns.Scalar<float>("Score", s => s)];

        protected override Func<long[]> MakeItemReader(DataViewRow input)
        {
            var text = input.GetGetter<ReadOnlyMemory<char>>(input.Schema["Text"]);
            ReadOnlyMemory<char> value = default;
            return () =>
            {
                text(ref value);
                var ids = new long[value.Length];
                var span = value.Span;
                for (int i = 0; i < ids.Length; i++) ids[i] = span[i] & 0xFF;
                return ids;
            };
        }

        protected override int Cost(long[] item) => item.Length;

        protected override float[] ScoreBatch(IReadOnlyList<long[]> items)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var tokens = tensor(items.SelectMany(i => i).ToArray());
            var rows = tensor(items.SelectMany((item, r) => Enumerable.Repeat((long)r, item.Length)).ToArray());
            return _model.forward(tokens, rows).data<float>().ToArray();
        }

        protected override VersionInfo Version => SavedModel.Version("BYTEMLP", 1, "MLNetExtBenchByteMlp", typeof(ByteMlpTransformer));

        protected override void SavePayload(SavedModelWriter writer) => writer.WriteWeights(_model);
    }
}
