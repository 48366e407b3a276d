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
    /// <summary>Whether the q/k/v projections have biases (and, unless <see cref="OutputProjectionBias"/> says otherwise, o_proj).</summary>
    public bool AttentionBias { get; init; }
    /// <summary>
    /// Whether o_proj has a bias. Defaults to <see cref="AttentionBias"/> (Llama's <c>attention_bias</c> covers
    /// all four projections); Qwen2 sets it false because only its q/k/v projections carry biases.
    /// </summary>
    public bool OutputProjectionBias
    {
        get => _outputProjectionBias ?? AttentionBias;
        init => _outputProjectionBias = value;
    }
    private readonly bool? _outputProjectionBias;
    /// <summary>Whether the MLP projections have biases.</summary>
    public bool MlpBias { get; init; }
    /// <summary>Beginning-of-sequence token, when the model has one.</summary>
    public int? BosTokenId { get; init; }
    /// <summary>Tokens that end generation.</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];
    /// <summary>
    /// Mistral-style sliding-window attention: each position attends to at most this many most recent
    /// positions (itself included). Null means full causal attention.
    /// </summary>
    public int? SlidingWindow { get; init; }

    /// <summary>
    /// Which layers attend through <see cref="SlidingWindow"/> when only some do (Qwen2/Qwen3/SmolLM3's
    /// <c>layer_types</c> or <c>max_window_layers</c>); null means every layer does when a window is set. The paged
    /// attention of a sliding layer then reads only the window's blocks, a full layer every block.
    /// </summary>
    public IReadOnlyList<bool>? SlidingLayers { get; init; }

    /// <summary>The window layer <paramref name="layer"/> attends through, or 0 for full causal attention.</summary>
    public int LayerWindow(int layer) => SlidingWindow is { } w && (SlidingLayers is null || SlidingLayers[layer]) ? w : 0;

    /// <summary>
    /// Whether each layer rotates its queries and keys (SmolLM3's <c>no_rope_layers</c>, where 0 marks a NoPE
    /// layer that attends by content alone); null means every layer does.
    /// </summary>
    public IReadOnlyList<bool>? RopeByLayer { get; init; }

    /// <summary>
    /// Features of each head that RoPE rotates: HeadDim, or fewer for Phi-3's <c>partial_rotary_factor</c>
    /// (the rest of the head passes through unrotated).
    /// </summary>
    public int RotaryDim
    {
        get => _rotaryDim ?? HeadDim;
        init => _rotaryDim = value;
    }
    private readonly int? _rotaryDim;

    /// <summary>Phi-3's LongRoPE per-pair frequency factors and attention factor; null without it.</summary>
    public LongRopeScaling? LongRope { get; init; }

    /// <summary>
    /// Per rotated pair, the divisor of its inverse frequency, as a GGUF file stores Llama 3's frequency scaling
    /// (its <c>rope_freqs.weight</c> tensor, in place of the <c>rope_scaling</c> parameters); null without it.
    /// </summary>
    public IReadOnlyList<float>? RopeFrequencyFactors { get; init; }

    /// <summary>Gemma 2/3's attention, windowing and soft-capping settings; null for other families.</summary>
    public GemmaSettings? Gemma { get; init; }

    /// <summary>Query width: NumHeads × HeadDim.</summary>
    public int QueryWidth => NumHeads * HeadDim;
    /// <summary>Key/value width: NumKvHeads × HeadDim.</summary>
    public int KvWidth => NumKvHeads * HeadDim;

    /// <summary>
    /// Throws <see cref="ModelFormatException"/> naming <paramref name="source"/> and the offending field when
    /// the sizes cannot describe a working model (non-positive sizes, heads not a multiple of KV heads, odd head
    /// size, which RoPE's pairs cannot split). Field names are the Hugging Face config.json ones.
    /// </summary>
    public void Validate(string source)
    {
        RequirePositive(source, "hidden_size", HiddenSize);
        RequirePositive(source, "intermediate_size", IntermediateSize);
        RequirePositive(source, "num_hidden_layers", NumLayers);
        RequirePositive(source, "num_attention_heads", NumHeads);
        RequirePositive(source, "num_key_value_heads", NumKvHeads);
        RequirePositive(source, "head_dim", HeadDim);
        RequirePositive(source, "vocab_size", VocabSize);
        RequirePositive(source, "max_position_embeddings", MaxPositions);
        if (NumHeads % NumKvHeads != 0)
            throw new ModelFormatException(
                $"{source}: num_attention_heads ({NumHeads}) must be a multiple of num_key_value_heads ({NumKvHeads})");
        if (HeadDim % 2 != 0)
            throw new ModelFormatException($"{source}: head_dim ({HeadDim}) must be even: RoPE rotates pairs of features");
        if ((long)NumHeads * HeadDim > int.MaxValue)
            throw new ModelFormatException($"{source}: num_attention_heads × head_dim ({(long)NumHeads * HeadDim}) is too large");
        if (!(RmsNormEps > 0) || !float.IsFinite(RmsNormEps))
            throw new ModelFormatException($"{source}: rms_norm_eps must be a positive finite number, got {RmsNormEps}");
        if (!(RopeTheta > 0) || !float.IsFinite(RopeTheta))
            throw new ModelFormatException($"{source}: rope_theta must be a positive finite number, got {RopeTheta}");
        if (SlidingWindow is <= 0)
            throw new ModelFormatException($"{source}: sliding_window must be positive when set, got {SlidingWindow}");
        if (SlidingLayers is { } sliding)
        {
            if (sliding.Count != NumLayers)
                throw new ModelFormatException($"{source}: layer_types has {sliding.Count} entries for {NumLayers} layers (num_hidden_layers)");
            if (SlidingWindow is null)
                throw new ModelFormatException($"{source}: some layers are sliding_attention but sliding_window is not set");
        }
        if (BosTokenId is { } bos && (bos < 0 || bos >= VocabSize))
            throw new ModelFormatException($"{source}: bos_token_id {bos} is outside the vocabulary of {VocabSize}");
        foreach (int eos in EosTokenIds)
            if (eos < 0 || eos >= VocabSize)
                throw new ModelFormatException($"{source}: eos_token_id {eos} is outside the vocabulary of {VocabSize}");
        if (RopeScaling is { } scaling)
            scaling.Validate(source);
        if (RotaryDim <= 0 || RotaryDim > HeadDim || RotaryDim % 2 != 0)
            throw new ModelFormatException($"{source}: the rotary dimension (head_dim × partial_rotary_factor = {RotaryDim}) must be even and within 1..head_dim ({HeadDim})");
        LongRope?.Validate(source, RotaryDim / 2);
        if (RopeFrequencyFactors is { } factors)
        {
            if (RopeScaling is not null || LongRope is not null)
                throw new ModelFormatException($"{source}: RoPE frequency factors cannot be combined with rope_scaling or LongRoPE");
            if (factors.Count != RotaryDim / 2)
                throw new ModelFormatException($"{source}: {factors.Count} RoPE frequency factors for {RotaryDim / 2} rotated pairs");
            for (int i = 0; i < factors.Count; i++)
                if (!float.IsFinite(factors[i]) || factors[i] <= 0)
                    throw new ModelFormatException($"{source}: RoPE frequency factor {i} is {factors[i]}; each must be finite and positive");
        }
        Gemma?.Validate(source, NumLayers);
        if (RopeByLayer is { } ropeByLayer && ropeByLayer.Count != NumLayers)
            throw new ModelFormatException($"{source}: no_rope_layers has {ropeByLayer.Count} entries for {NumLayers} layers");
    }

    private static void RequirePositive(string source, string field, int value)
    {
        if (value <= 0) throw new ModelFormatException($"{source}: {field} must be positive, got {value}");
    }
}
