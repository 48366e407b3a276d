namespace Transformer.Loader.Config;

/// <summary>
/// Llama 3 style frequency scaling (<c>rope_scaling.rope_type == "llama3"</c>): low frequencies are
/// divided by <see cref="Factor"/>, high ones kept, and the band between blended smoothly.
/// </summary>
public sealed record RopeScaling(float Factor, float LowFrequencyFactor, float HighFrequencyFactor, int OriginalMaxPositions)
{
    /// <summary>
    /// Throws <see cref="ModelFormatException"/> naming <paramref name="source"/> when the numbers cannot
    /// define the blend: factors must be positive and finite, and high_freq_factor must exceed
    /// low_freq_factor because the smoothing divides by their difference.
    /// </summary>
    public void Validate(string source)
    {
        Require(source, "factor", Factor);
        Require(source, "low_freq_factor", LowFrequencyFactor);
        Require(source, "high_freq_factor", HighFrequencyFactor);
        if (HighFrequencyFactor <= LowFrequencyFactor)
            throw new ModelFormatException(
                $"{source}: rope_scaling.high_freq_factor ({HighFrequencyFactor}) must exceed low_freq_factor ({LowFrequencyFactor})");
        if (OriginalMaxPositions <= 0)
            throw new ModelFormatException(
                $"{source}: rope_scaling.original_max_position_embeddings must be positive, got {OriginalMaxPositions}");
    }

    private static void Require(string source, string field, float value)
    {
        if (!(value > 0) || !float.IsFinite(value))
            throw new ModelFormatException($"{source}: rope_scaling.{field} must be a positive finite number, got {value}");
    }
}
