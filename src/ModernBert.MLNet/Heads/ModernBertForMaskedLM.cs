using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetExt.ModernBert;

/// <summary>
/// Masked language model: encoder, prediction head and a decoder tied to the token embeddings. Logits are
/// computed only at the tokens asked for (sparse prediction), so a 30%-masked batch pays for 30% of the vocabulary projection.
/// </summary>
public sealed class ModernBertForMaskedLM : nn.Module<PackedInput, Tensor?, Tensor>, IModernBertHead
{
    readonly ModernBertModel model;
    readonly ModernBertPredictionHead head;
    readonly TiedDecoder decoder;

    public ModernBertConfig Config { get; }
    public ModernBertModel Model => model;

    public ModernBertForMaskedLM(ModernBertConfig config) : base("ModernBertForMaskedLM")
    {
        Config = config.Validate();
        model = new ModernBertModel(config, initialize: false);
        head = new ModernBertPredictionHead(config);
        decoder = new TiedDecoder(config, () => model.Embeddings.TokenEmbeddingWeight);
        RegisterComponents();
        ModernBertInit.Initialize(this, config);
    }

    /// <summary>Logits [P, V] at packed token indices <paramref name="tokenIndices"/> [P], or [T, V] for all tokens when null.</summary>
    public override Tensor forward(PackedInput input, Tensor? tokenIndices)
    {
        var hidden = model.call(input); // [T, H]
        if (tokenIndices is not null) hidden = hidden.index_select(0, tokenIndices); // [P, H]
        return decoder.call(head.call(hidden));
    }

    /// <summary>Mean cross-entropy over tokens whose label [T] is not <c>sparse_pred_ignore_index</c> (-100); the head runs only there.</summary>
    public Tensor Loss(PackedInput input, Tensor labels)
    {
        if (labels.shape.Length != 1 || labels.shape[0] != input.TokenCount)
            throw new ArgumentException($"labels must be [{input.TokenCount}] (one per packed token), got [{string.Join(", ", labels.shape)}].", nameof(labels));
        using var ignore = Config.SparsePredIgnoreIndex.ToScalar();
        var positions = labels.ne(ignore).nonzero().squeeze(1); // [P]
        var logits = forward(input, positions);
        return nn.functional.cross_entropy(logits.to(float32), labels.index_select(0, positions));
    }

    /// <summary>decoder.weight is tok_embeddings.weight (so it is no checkpoint key); only decoder.bias is its own.</summary>
    sealed class TiedDecoder : nn.Module<Tensor, Tensor>
    {
        readonly Parameter? bias;
        readonly Func<Tensor> weight; // a delegate, not a field of tensor type, so it is not registered twice

        public TiedDecoder(ModernBertConfig config, Func<Tensor> weight) : base("decoder")
        {
            this.weight = weight;
            bias = config.DecoderBias ? new Parameter(zeros(config.VocabSize)) : null;
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => nn.functional.linear(x, weight(), bias); // [P, V]
    }
}
