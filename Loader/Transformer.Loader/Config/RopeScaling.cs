namespace Transformer.Loader.Config;

/// <summary>
/// Llama 3 style frequency scaling (<c>rope_scaling.rope_type == "llama3"</c>): low frequencies are
/// divided by <see cref="Factor"/>, high ones kept, and the band between blended smoothly.
/// </summary>
public sealed record RopeScaling(float Factor, float LowFrequencyFactor, float HighFrequencyFactor, int OriginalMaxPositions);
