namespace Transformer.Kernels.Backend;

/// <summary>
/// What an attention call changes from plain causal attention (the default: scale 1/√headDim, no cap, the
/// span the step layout gives each row). Gemma sets all three: its own scale (<c>query_pre_attn_scalar</c>),
/// soft-capped scores, and a sliding window on some layers only.
/// </summary>
public readonly record struct AttentionOptions
{
    /// <summary>Multiplies q·k; 0 means 1/√headDim.</summary>
    public float Scale { get; init; }

    /// <summary>When positive, scores become cap·tanh(score / cap) before the softmax (Gemma 2's attention soft-capping).</summary>
    public float SoftCap { get; init; }

    /// <summary>
    /// When positive, a row at position p attends to no position before p − Window + 1 in this call, on top of
    /// the step's own AttendFrom (a per-layer sliding window).
    /// </summary>
    public int Window { get; init; }

    /// <summary>The first position a row at <paramref name="position"/> attends to, given the step's <paramref name="attendFrom"/>.</summary>
    public int FirstAttended(int attendFrom, int position) => Window > 0 ? Math.Max(attendFrom, position - Window + 1) : attendFrom;
}
