using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetExt.Blt.Modules;

/// <summary>HF <c>BltModel</c>'s parameters (checkpoint prefix <c>model.</c>); the forward pass lives in <see cref="BltModel"/>.</summary>
public sealed class BltBackbone : nn.Module
{
    internal readonly LocalEncoder local_encoder;
    internal readonly GlobalTransformer global_transformer;
    internal readonly LocalDecoder local_decoder;
    internal readonly Embedding encoder_hash_tok_embedding;
    internal readonly EntropyModel? patcher;

    public BltBackbone(BltConfig config) : base(nameof(BltBackbone))
    {
        local_encoder = new LocalEncoder(config.EncoderConfig);
        global_transformer = new GlobalTransformer(config.GlobalConfig, config.EncoderCrossOutputSize);
        local_decoder = new LocalDecoder(config.DecoderConfig);
        encoder_hash_tok_embedding = nn.Embedding((long)config.EncoderHashByteGroupVocab * HashNgrams.Count(config), config.EncoderConfig.HiddenSize);
        if (config.PatchInForward) patcher = new EntropyModel(config.PatcherConfig);
        RegisterComponents();
    }
}
