namespace Transformer.Kernels.Quantized;

/// <summary>
/// The scalar specification of the Q6_K matmul against Q8 activations: per block of 32 the exact integer dot
/// s_a·Σ_{i&lt;16} (q − 32)·x + s_b·Σ_{i≥16} (q − 32)·x, scaled by d·sx and summed in block order as
/// <see cref="Q8Reference"/> does. Every SIMD path agrees with it: block dots exactly, float results within the
/// rounding of their lane order.
/// </summary>
public static class Q6KReference
{
    /// <summary>One block's scaled integer dot, exactly (|result| &lt; 2²⁴).</summary>
    public static int BlockDot(ReadOnlySpan<byte> block, ReadOnlySpan<sbyte> x)
    {
        Span<sbyte> q = stackalloc sbyte[Q8Format.BlockSize];
        var (low, high) = Q6KWeight.DecodeBlock(block, q);
        if (x.Length != q.Length) throw new ArgumentException($"a block dot takes {q.Length} activations, got {x.Length}", nameof(x));
        int a = 0, b = 0;
        for (int i = 0; i < 16; i++) a += q[i] * x[i];
        for (int i = 16; i < 32; i++) b += q[i] * x[i];
        return low * a + high * b;
    }

    /// <summary>y[t, o] = Σ_b (d[o, b]·sx[t, b])·dot_b for rows [rowStart, rowEnd).</summary>
    public static void ComputeRows(Q8Activations x, Q6KWeight w, Span<float> y, int rowStart, int rowEnd)
    {
        Q8MatMul.CheckShapes(x, w.OutFeatures, w.InFeatures, y, rowStart, rowEnd);
        int k = w.InFeatures, blocks = w.BlocksPerRow, n = w.OutFeatures;
        const int B = Q8Format.BlockSize;
        for (int t = 0; t < x.Tokens; t++)
            for (int o = rowStart; o < rowEnd; o++)
            {
                float acc = 0f;
                for (int b = 0; b < blocks; b++)
                {
                    int block = o * blocks + b;
                    int dot = BlockDot(w.Blocks.Slice(block * Q6KWeight.BlockBytes, Q6KWeight.BlockBytes), x.Values.Slice(t * k + b * B, B));
                    acc += dot * (w.Scales[block] * x.Scales[t * blocks + b]);
                }
                y[t * n + o] = acc;
            }
    }

    /// <summary>
    /// One block's scaled integer dot from unsigned codes q ∈ [0, 63], as the row-interleaved kernel computes it:
    /// s_a·(Σ_{i&lt;16} q·x − 32·Σ_a x) + s_b·(Σ_{i≥16} q·x − 32·Σ_b x), with <paramref name="sumLow"/> and
    /// <paramref name="sumHigh"/> the two sub-blocks' activation sums. The same integer as <see cref="BlockDot"/>.
    /// </summary>
    public static int UnsignedBlockDot(ReadOnlySpan<byte> codes, sbyte scaleLow, sbyte scaleHigh, ReadOnlySpan<sbyte> x, int sumLow, int sumHigh)
    {
        if (codes.Length != Q8Format.BlockSize || x.Length != Q8Format.BlockSize)
            throw new ArgumentException($"a Q6_K block dot takes {Q8Format.BlockSize} codes and activations, got {codes.Length} and {x.Length}");
        int a = 0, b = 0;
        for (int i = 0; i < 16; i++) a += codes[i] * x[i];
        for (int i = 16; i < 32; i++) b += codes[i] * x[i];
        return scaleLow * (a - Q6KWeight.Offset * sumLow) + scaleHigh * (b - Q6KWeight.Offset * sumHigh);
    }

    /// <summary>
    /// The specification of the row-interleaved path (<see cref="Q6KInterleavedWeight"/>), which it matches bit for
    /// bit: y[t, o] = acc after acc = fma(float(dot_b), d[o, b]·sx[t, b], acc) for b in order from acc = 0, where
    /// dot_b is <see cref="UnsignedBlockDot"/> (exact, |dot_b| &lt; 2²⁴, so its float is exact too).
    /// </summary>
    public static void ComputeRowsFused(Q8Activations x, Q6KInterleavedWeight w, Span<float> y, int rowStart, int rowEnd)
    {
        Q8MatMul.CheckShapes(x, w.OutFeatures, w.InFeatures, y, rowStart, rowEnd);
        int k = w.InFeatures, blocks = w.BlocksPerRow, n = w.OutFeatures;
        const int B = Q8Format.BlockSize;
        var sums = x.SubBlockSums();
        Span<byte> codes = stackalloc byte[B];
        for (int t = 0; t < x.Tokens; t++)
            for (int o = rowStart; o < rowEnd; o++)
            {
                float acc = 0f;
                for (int b = 0; b < blocks; b++)
                {
                    var (low, high) = w.CopyBlock(o, b, codes);
                    int at = t * blocks + b;
                    int dot = UnsignedBlockDot(codes, low, high, x.Values.Slice(t * k + b * B, B), sums[2 * at], sums[2 * at + 1]);
                    acc = MathF.FusedMultiplyAdd(dot, w.Scale(o, b) * x.Scales[at], acc);
                }
                y[t * n + o] = acc;
            }
    }
}
