using Transformer.Loader.Config;

namespace Transformer.Runtime.Llama;

/// <summary>The inverse frequencies of rotary embedding, including Llama 3's and LongRoPE's frequency scaling.</summary>
public static class RotaryFrequencies
{
    /// <summary>
    /// inv_freq[i] = 1 / theta^(2i / rotaryDim) for the rotated pairs (rotaryDim = headDim unless partial),
    /// computed in float32 as PyTorch and llama2.c do, then rescaled when the config asks for llama3 scaling
    /// (as parameters, or as a GGUF file's per-pair factors) or LongRoPE.
    /// </summary>
    public static float[] Compute(ModelConfig config)
    {
        int pairs = config.RotaryDim / 2;
        var inverse = new float[pairs];
        for (int i = 0; i < pairs; i++)
            inverse[i] = 1f / MathF.Pow(config.RopeTheta, 2 * i / (float)config.RotaryDim);
        if (config.RopeScaling is { } scaling) ApplyLlama3Scaling(inverse, scaling);
        // Per-pair divisors: a GGUF file's rope_freqs (Llama 3 scaling stored as factors, which llama.cpp divides
        // by likewise) or LongRoPE's; the config allows at most one of them.
        var divisors = config.RopeFrequencyFactors ?? (config.LongRope is { } longRope ? LongRopeFactors(config, longRope) : null);
        if (divisors is not null)
            for (int i = 0; i < pairs; i++) inverse[i] /= divisors[i];
        return inverse;
    }

    /// <summary>The magnitude cos and sin are scaled by: LongRoPE's attention factor, else 1.</summary>
    public static float AttentionFactor(ModelConfig config) => config.LongRope?.AttentionFactor ?? 1f;

    /// <summary>
    /// LongRoPE's long factors when the engine offers more context than the model was pre-trained on
    /// (max_position_embeddings beyond original_max_position_embeddings), else the short ones. The choice is
    /// made once for the model's context, as llama.cpp makes it for its context size: keys cached at early
    /// positions must be rotated as later queries expect. (Transformers switches per call by the sequence's
    /// current length instead, so for prompts shorter than the original context it uses the short factors.)
    /// </summary>
    private static IReadOnlyList<float> LongRopeFactors(ModelConfig config, LongRopeScaling s) =>
        config.MaxPositions > s.OriginalMaxPositions ? s.LongFactor : s.ShortFactor;

    /// <summary>
    /// Llama 3 keeps high frequencies (short wavelengths) as trained, divides low frequencies by the
    /// factor to stretch them over the longer context, and blends linearly in between.
    /// </summary>
    private static void ApplyLlama3Scaling(float[] inverse, RopeScaling s)
    {
        float lowFrequencyWavelength = s.OriginalMaxPositions / s.LowFrequencyFactor;
        float highFrequencyWavelength = s.OriginalMaxPositions / s.HighFrequencyFactor;
        for (int i = 0; i < inverse.Length; i++)
        {
            float wavelength = 2 * MathF.PI / inverse[i];
            if (wavelength > lowFrequencyWavelength)
            {
                inverse[i] /= s.Factor;
            }
            else if (wavelength >= highFrequencyWavelength)
            {
                float smooth = (s.OriginalMaxPositions / wavelength - s.LowFrequencyFactor) / (s.HighFrequencyFactor - s.LowFrequencyFactor);
                inverse[i] = (1 - smooth) * inverse[i] / s.Factor + smooth * inverse[i];
            }
        }
    }
}
