using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetExt.ModernBert;

/// <summary>One prediction per token: encoder -> head -> dropout -> classifier; cross-entropy ignoring label -100.</summary>
public sealed class ModernBertForTokenClassification : nn.Module<PackedInput, Tensor>, IModernBertHead
{
    readonly ModernBertModel model;
    readonly ModernBertPredictionHead head;
    readonly Dropout drop;
    readonly Linear classifier;

    public ModernBertConfig Config { get; }
    public ModernBertModel Model => model;

    public ModernBertForTokenClassification(ModernBertConfig config) : base("ModernBertForTokenClassification")
    {
        Config = config.Validate();
        model = new ModernBertModel(config, initialize: false);
        head = new ModernBertPredictionHead(config);
        drop = nn.Dropout(config.ClassifierDropout);
        classifier = nn.Linear(config.HiddenSize, config.NumLabels);
        RegisterComponents();
        ModernBertInit.Initialize(this, config);
    }

    /// <summary>Logits [T, num_labels], one row per packed token.</summary>
    public override Tensor forward(PackedInput input) => classifier.call(drop.call(head.call(model.call(input))));

    /// <summary>Mean cross-entropy over tokens whose label [T] is not -100.</summary>
    public Tensor Loss(PackedInput input, Tensor labels)
    {
        if (labels.shape.Length != 1 || labels.shape[0] != input.TokenCount)
            throw new ArgumentException($"labels must be [{input.TokenCount}] (one per packed token), got [{string.Join(", ", labels.shape)}].", nameof(labels));
        return nn.functional.cross_entropy(forward(input).to(float32), labels.to(int64), ignore_index: Config.SparsePredIgnoreIndex);
    }
}
