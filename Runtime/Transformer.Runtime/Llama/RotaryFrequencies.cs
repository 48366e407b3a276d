using Transformer.Loader.Config;

namespace Transformer.Runtime.Llama;

/// <summary>The inverse frequencies of rotary embedding, including Llama 3's frequency scaling.</summary>
public static class RotaryFrequencies
{
    /// <summary>
    /// inv_freq[i] = 1 / theta^(2i / headDim), computed in float32 as PyTorch and llama2.c do, then
    /// rescaled when the config asks for llama3 scaling.
    /// </summary>
    public static float[] Compute(ModelConfig config)
    {
        int pairs = config.HeadDim / 2;
        var inverse = new float[pairs];
        for (int i = 0; i < pairs; i++)
            inverse[i] = 1f / MathF.Pow(config.RopeTheta, 2 * i / (float)config.HeadDim);
        if (config.RopeScaling is { } scaling) ApplyLlama3Scaling(inverse, scaling);
        return inverse;
    }

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
