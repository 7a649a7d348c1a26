using MLNetExt.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetExt.ModernBert;

/// <summary>
/// One prediction per sequence: pool the encoder output ("cls" = first token, "mean" = mean over the sequence's
/// real tokens), then head -> dropout -> classifier. The loss follows the config's problem type, as in HF:
/// regression (MSE), single-label (cross-entropy) or multi-label (BCE with logits).
/// </summary>
public sealed class ModernBertForSequenceClassification : nn.Module<PackedInput, Tensor>, IModernBertHead
{
    readonly ModernBertModel model;
    readonly ModernBertPredictionHead head;
    readonly Dropout drop;
    readonly Linear classifier;
    readonly Func<Tensor, PackedInput, Tensor> pool;
    readonly Func<Tensor, Tensor, Tensor> loss;

    public ModernBertConfig Config { get; }
    public ModernBertModel Model => model;

    public ModernBertForSequenceClassification(ModernBertConfig config) : base("ModernBertForSequenceClassification")
    {
        Config = config.Validate();
        model = new ModernBertModel(config, initialize: false);
        head = new ModernBertPredictionHead(config);
        drop = nn.Dropout(config.ClassifierDropout);
        classifier = nn.Linear(config.HiddenSize, config.NumLabels);
        pool = config.ClassifierPooling == "cls" ? ClsPool : MeanPool;
        loss = (config.ProblemType ?? (config.NumLabels == 1 ? "regression" : "single_label_classification")) switch
        {
            "regression" => (logits, labels) => nn.functional.mse_loss(logits.to(float32), labels.to(float32).view(logits.shape)),
            "multi_label_classification" => (logits, labels) => nn.functional.binary_cross_entropy_with_logits(logits.to(float32), labels.to(float32)),
            _ => (logits, labels) => nn.functional.cross_entropy(logits.to(float32), labels.to(int64)),
        };
        RegisterComponents();
        ModernBertInit.Initialize(this, config);
    }

    /// <summary>Logits [B, num_labels], one row per packed sequence.</summary>
    public override Tensor forward(PackedInput input)
    {
        var pooled = pool(model.call(input), input); // [B, H]
        return classifier.call(drop.call(head.call(pooled)));
    }

    /// <summary>Loss against <paramref name="labels"/>: [B] class ids, [B] or [B, num_labels] regression targets, [B, num_labels] multi-label 0/1.</summary>
    public Tensor Loss(PackedInput input, Tensor labels)
    {
        if (labels.shape.Length == 0 || labels.shape[0] != input.Count)
            throw new ArgumentException($"labels must have one row per packed sequence ({input.Count}), got [{string.Join(", ", labels.shape)}].", nameof(labels));
        return loss(forward(input), labels);
    }

    /// <summary>[B, H]: each sequence's first ([CLS]) token of <paramref name="hidden"/> [T, H].</summary>
    public static Tensor ClsPool(Tensor hidden, PackedInput input) => hidden.index_select(0, input.FirstTokens());

    /// <summary>[B, H]: each sequence's mean token of <paramref name="hidden"/> [T, H], summed in float32.</summary>
    // Sums only each sequence's own tokens: packing has no padding to leak into the mean.
    public static Tensor MeanPool(Tensor hidden, PackedInput input)
    {
        var sums = zeros([input.Count, hidden.shape[1]], float32, hidden.device).index_add_(0, input.SequenceIds, hidden.to(float32), Scalars.One); // [B, H]
        return (sums / input.Lengths().to(float32).unsqueeze(1)).to(hidden.dtype);
    }
}
