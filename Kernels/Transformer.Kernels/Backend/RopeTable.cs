namespace Transformer.Kernels.Backend;

/// <summary>Which feature pairs of a head a rotary embedding rotates together.</summary>
public enum RopeStyle
{
    /// <summary>Hugging Face <c>rotate_half</c>: pairs (i, i + headDim/2).</summary>
    RotateHalf,
    /// <summary>llama2.c / GGUF: adjacent pairs (2i, 2i + 1).</summary>
    InterleavedPairs,
}

/// <summary>
/// Precomputed cos/sin of position × inverse frequency for every position a sequence may reach.
/// The model decides the frequencies (that is where rope scaling lives); the backend only rotates.
/// </summary>
public abstract class RopeTable : IDisposable
{
    /// <summary>Creates the shape header.</summary>
    protected RopeTable(int maxPositions, int rotaryPairs, RopeStyle style)
    {
        MaxPositions = maxPositions;
        RotaryPairs = rotaryPairs;
        Style = style;
    }

    /// <summary>Positions covered.</summary>
    public int MaxPositions { get; }
    /// <summary>
    /// Rotated pairs per head: headDim / 2, or fewer for partial rotary embedding (Phi-3's
    /// <c>partial_rotary_factor</c>), where only the first 2·RotaryPairs features of a head turn.
    /// </summary>
    public int RotaryPairs { get; }
    /// <summary>Pairing convention.</summary>
    public RopeStyle Style { get; }

    /// <summary>Releases the storage.</summary>
    public abstract void Dispose();

    /// <summary>
    /// Fills cos/sin tables [position, pair] on the host, both multiplied by <paramref name="attentionFactor"/>
    /// (LongRoPE's magnitude correction, 1 for plain RoPE).
    /// </summary>
    public static (float[] Cos, float[] Sin) ComputeHost(ReadOnlySpan<float> inverseFrequencies, int maxPositions, float attentionFactor = 1f)
    {
        int pairs = inverseFrequencies.Length;
        var cos = new float[maxPositions * pairs];
        var sin = new float[maxPositions * pairs];
        for (int p = 0; p < maxPositions; p++)
        {
            for (int i = 0; i < pairs; i++)
            {
                // Angle in float32, as PyTorch and llama2.c compute it, so logits agree to the last bits.
                float angle = p * inverseFrequencies[i];
                cos[p * pairs + i] = MathF.Cos(angle) * attentionFactor;
                sin[p * pairs + i] = MathF.Sin(angle) * attentionFactor;
            }
        }
        return (cos, sin);
    }
}
