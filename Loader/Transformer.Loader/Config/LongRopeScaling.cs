namespace Transformer.Loader.Config;

/// <summary>
/// LongRoPE (Ding et al., 2024; Phi-3's <c>rope_scaling.rope_type == "longrope"</c>): every rotated pair's
/// frequency is divided by its own searched factor, one list for contexts up to
/// <see cref="OriginalMaxPositions"/> and one for longer ones, and cos/sin are scaled by
/// <see cref="AttentionFactor"/> to keep attention entropy as the context grows.
/// </summary>
public sealed record LongRopeScaling(IReadOnlyList<float> ShortFactor, IReadOnlyList<float> LongFactor, int OriginalMaxPositions, float AttentionFactor)
{
    /// <summary>
    /// Throws <see cref="ModelFormatException"/> naming <paramref name="source"/> unless both lists hold one
    /// positive factor per rotated pair and the other numbers are positive.
    /// </summary>
    public void Validate(string source, int rotaryPairs)
    {
        Check(source, "short_factor", ShortFactor, rotaryPairs);
        Check(source, "long_factor", LongFactor, rotaryPairs);
        if (OriginalMaxPositions <= 0)
            throw new ModelFormatException($"{source}: original_max_position_embeddings must be positive for longrope, got {OriginalMaxPositions}");
        if (!(AttentionFactor > 0) || !float.IsFinite(AttentionFactor))
            throw new ModelFormatException($"{source}: rope_scaling.attention_factor must be a positive finite number, got {AttentionFactor}");
    }

    private static void Check(string source, string field, IReadOnlyList<float> factors, int pairs)
    {
        if (factors.Count != pairs)
            throw new ModelFormatException($"{source}: rope_scaling.{field} has {factors.Count} factors, the rotary dimension needs {pairs} (one per rotated pair)");
        foreach (float f in factors)
            if (!(f > 0) || !float.IsFinite(f))
                throw new ModelFormatException($"{source}: rope_scaling.{field} entries must be positive finite numbers, found {f}");
    }
}
