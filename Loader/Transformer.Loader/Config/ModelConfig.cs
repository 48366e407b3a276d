using Transformer.Kernels.Backend;

namespace Transformer.Loader.Config;

/// <summary>
/// Everything the model code needs to know about one Llama-family checkpoint; the single place
/// that carries variant flags. Built from Hugging Face <c>config.json</c> or a llama2.c header.
/// </summary>
public sealed record ModelConfig
{
    /// <summary>Architecture name as in config.json (e.g. <c>LlamaForCausalLM</c>).</summary>
    public required string Architecture { get; init; }
    /// <summary>Width of the residual stream.</summary>
    public required int HiddenSize { get; init; }
    /// <summary>Width of the MLP's hidden layer.</summary>
    public required int IntermediateSize { get; init; }
    /// <summary>Decoder layers.</summary>
    public required int NumLayers { get; init; }
    /// <summary>Query heads.</summary>
    public required int NumHeads { get; init; }
    /// <summary>Key/value heads (grouped-query attention when fewer than query heads).</summary>
    public required int NumKvHeads { get; init; }
    /// <summary>Features per head (may differ from HiddenSize / NumHeads).</summary>
    public required int HeadDim { get; init; }
    /// <summary>Vocabulary size.</summary>
    public required int VocabSize { get; init; }
    /// <summary>Longest context the model was trained for.</summary>
    public required int MaxPositions { get; init; }
    /// <summary>RMSNorm epsilon.</summary>
    public float RmsNormEps { get; init; } = 1e-5f;
    /// <summary>RoPE base.</summary>
    public float RopeTheta { get; init; } = 10000f;
    /// <summary>Optional Llama 3 frequency scaling.</summary>
    public RopeScaling? RopeScaling { get; init; }
    /// <summary>Which feature pairs RoPE rotates: rotate_half for HF files, interleaved for llama2.c files.</summary>
    public RopeStyle RopeStyle { get; init; } = RopeStyle.RotateHalf;
    /// <summary>Whether lm_head reuses the embedding table.</summary>
    public bool TieWordEmbeddings { get; init; }
    /// <summary>Whether q/k/v/o projections have biases.</summary>
    public bool AttentionBias { get; init; }
    /// <summary>Whether the MLP projections have biases.</summary>
    public bool MlpBias { get; init; }
    /// <summary>Beginning-of-sequence token, when the model has one.</summary>
    public int? BosTokenId { get; init; }
    /// <summary>Tokens that end generation.</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    /// <summary>Query width: NumHeads × HeadDim.</summary>
    public int QueryWidth => NumHeads * HeadDim;
    /// <summary>Key/value width: NumKvHeads × HeadDim.</summary>
    public int KvWidth => NumKvHeads * HeadDim;
}
