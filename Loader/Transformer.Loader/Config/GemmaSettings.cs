namespace Transformer.Loader.Config;

/// <summary>
/// What Gemma 2 and Gemma 3 add to the decoder config (Gemma Team, "Gemma 2", 2024; "Gemma 3", 2025): how
/// attention is scaled and capped, which layers look through a sliding window with their own RoPE base,
/// whether q and k are normalized per head, and the final logits' soft cap.
/// </summary>
public sealed record GemmaSettings
{
    /// <summary>Attention scores are q·k / √QueryPreAttentionScalar (<c>query_pre_attn_scalar</c>), not / √head_dim.</summary>
    public required float QueryPreAttentionScalar { get; init; }

    /// <summary>Attention scores soft-capped to (−cap, cap) before the softmax (<c>attn_logit_softcapping</c>, Gemma 2); null: none.</summary>
    public float? AttentionSoftCap { get; init; }

    /// <summary>Logits soft-capped (<c>final_logit_softcapping</c>, Gemma 2); null: none.</summary>
    public float? FinalLogitSoftCap { get; init; }

    /// <summary>Whether each layer attends through the sliding window (<c>layer_types</c> or the pattern).</summary>
    public required IReadOnlyList<bool> SlidingLayers { get; init; }

    /// <summary>Positions a sliding layer attends to, itself included (<c>sliding_window</c>).</summary>
    public required int SlidingWindow { get; init; }

    /// <summary>RoPE base of the sliding layers (<c>rope_local_base_freq</c>, Gemma 3; Gemma 2 uses rope_theta everywhere).</summary>
    public required float LocalRopeTheta { get; init; }

    /// <summary>
    /// Linear RoPE scaling of the global layers (Gemma 3 4B and larger: <c>rope_scaling</c> linear, factor 8):
    /// their frequencies are divided by it; the local layers keep theirs. 1 means none.
    /// </summary>
    public float GlobalRopeScale { get; init; } = 1f;

    /// <summary>Per-head RMSNorm of q and k before RoPE (<c>q_norm</c>, <c>k_norm</c>: Gemma 3).</summary>
    public required bool QueryKeyNorm { get; init; }

    /// <summary>Throws <see cref="ModelFormatException"/> naming the field when a value cannot work.</summary>
    public void Validate(string source, int layers)
    {
        if (!(QueryPreAttentionScalar > 0) || !float.IsFinite(QueryPreAttentionScalar))
            throw new ModelFormatException($"{source}: query_pre_attn_scalar must be a positive finite number, got {QueryPreAttentionScalar}");
        if (AttentionSoftCap is { } a && !(a > 0))
            throw new ModelFormatException($"{source}: attn_logit_softcapping must be positive when set, got {a}");
        if (FinalLogitSoftCap is { } f && !(f > 0))
            throw new ModelFormatException($"{source}: final_logit_softcapping must be positive when set, got {f}");
        if (SlidingLayers.Count != layers)
            throw new ModelFormatException($"{source}: layer_types has {SlidingLayers.Count} entries for {layers} layers");
        if (SlidingWindow <= 0)
            throw new ModelFormatException($"{source}: sliding_window must be positive, got {SlidingWindow}");
        if (!(GlobalRopeScale > 0) || !float.IsFinite(GlobalRopeScale))
            throw new ModelFormatException($"{source}: rope_scaling.factor must be a positive finite number, got {GlobalRopeScale}");
        if (!(LocalRopeTheta > 0) || !float.IsFinite(LocalRopeTheta))
            throw new ModelFormatException($"{source}: rope_local_base_freq must be a positive finite number, got {LocalRopeTheta}");
    }
}
