using Transformer.Kernels.Backend;

namespace Transformer.Kernels.Cpu.Ops;

/// <summary>
/// Rotary position embedding: each feature pair (a, b) of a head turns by angle position × freq_i:
/// (a, b) → (a·cos − b·sin, a·sin + b·cos). The style says which features form pair i. With fewer
/// pairs than headDim / 2 (partial rotary), the pairs are formed within the first 2·pairs features of
/// each head and the rest pass through unchanged.
/// </summary>
public static class Rope
{
    /// <summary>Rotates every head of one row in place. cos/sin are the table rows for this position, one per rotated pair.</summary>
    public static void Apply(Span<float> row, int headDim, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin, RopeStyle style)
    {
        int pairs = cos.Length;
        for (int head = 0; head < row.Length / headDim; head++)
        {
            Span<float> h = row.Slice(head * headDim, headDim);
            for (int i = 0; i < pairs; i++)
            {
                // rotate_half pairs feature i with i + pairs (headDim/2 when all features rotate); llama2.c pairs 2i with 2i + 1.
                int first = style == RopeStyle.RotateHalf ? i : 2 * i;
                int second = style == RopeStyle.RotateHalf ? i + pairs : 2 * i + 1;
                float a = h[first], b = h[second];
                h[first] = a * cos[i] - b * sin[i];
                h[second] = a * sin[i] + b * cos[i];
            }
        }
    }
}
