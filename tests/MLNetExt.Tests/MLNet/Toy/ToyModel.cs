using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNetExt.Tests.MLNet.Toy;

/// <summary>Shape of the toy classifier: characters mod <see cref="Vocab"/> embedded, averaged per row, one linear head.</summary>
public sealed record ToyConfig(int Vocab, int Dim, int Classes);

/// <summary>A character bag-of-embeddings classifier over packed rows: just enough model to exercise the ML.NET plumbing.</summary>
public sealed class ToyModel : Module<Tensor, Tensor, Tensor>
{
    readonly Embedding embed;
    readonly Linear head;

    public ToyModel(ToyConfig config) : base(nameof(ToyModel))
    {
        embed = Embedding(config.Vocab, config.Dim);
        head = Linear(config.Dim, config.Classes);
        RegisterComponents();
    }

    /// <summary>Logits (B, classes) for packed <paramref name="tokens"/> (N) where <paramref name="rows"/> (N) says whose token each is.</summary>
    public override Tensor forward(Tensor tokens, Tensor rows)
    {
        long batch = rows[-1].item<long>() + 1;
        var embedded = embed.forward(tokens);                                      // (N, D)
        var sums = zeros(batch, embedded.shape[1]).index_add_(0, rows, embedded, 1); // (B, D)
        var counts = bincount(rows, minlength: batch).to(ScalarType.Float32);       // (B)
        var pooled = (sums / counts.unsqueeze(1)).unsqueeze(1);                      // (B, 1, D)
        // The head as a per-row reduction rather than a GEMM, whose blocking (and so rounding) depends on the
        // batch size: the tests compare batched and single-row scores bit for bit.
        return (pooled * head.weight!).sum(-1) + head.bias!;                         // (B, classes)
    }

    /// <summary>Character ids of <paramref name="text"/>; an empty text is one id-0 token so every row has one.</summary>
    public static long[] Tokenize(ReadOnlySpan<char> text, int vocab)
    {
        if (text.IsEmpty) return [0];
        var ids = new long[text.Length];
        for (int i = 0; i < text.Length; i++) ids[i] = text[i] % vocab;
        return ids;
    }

    /// <summary>Packs rows' ids end to end with each token's row index.</summary>
    public static (Tensor Tokens, Tensor Rows) Pack(IReadOnlyList<long[]> items)
    {
        int total = items.Sum(i => i.Length);
        var tokens = new long[total];
        var rows = new long[total];
        int at = 0;
        for (int r = 0; r < items.Count; r++)
        {
            items[r].CopyTo(tokens, at);
            Array.Fill(rows, r, at, items[r].Length);
            at += items[r].Length;
        }
        return (tensor(tokens), tensor(rows));
    }
}
