namespace Transformer.Kernels.Quantized;

/// <summary>
/// The scalar specification of the Q4_K matmul against Q8 activations (blocks of 32, each one Q4_K sub-block): per
/// block the exact integer dot Σ q·x, scaled by (d·s)·sx and summed in block order as <see cref="Q8Reference"/> does;
/// then the minimums' part, Σ_b (dmin·m)_b · (sx·Σx)_b (<see cref="Q8Activations.ScaledSums"/>), subtracted once.
/// Every SIMD path agrees with it: block dots exactly, float results within the rounding of their lane order.
/// </summary>
public static class Q4KReference
{
    /// <summary>Σ q[i]·x[i] over one block of unsigned codes, in exact integer arithmetic.</summary>
    public static int BlockDot(ReadOnlySpan<byte> codes, ReadOnlySpan<sbyte> x)
    {
        Span<byte> q = stackalloc byte[Q8Format.BlockSize];
        Q4KWeight.DecodeBlock(codes, q);
        if (x.Length != q.Length) throw new ArgumentException($"a block dot takes {q.Length} activations, got {x.Length}", nameof(x));
        int dot = 0;
        for (int i = 0; i < q.Length; i++) dot += q[i] * x[i];
        return dot;
    }

    /// <summary>y[t, o] = Σ_b (d·s)[o, b]·sx[t, b]·Σ_i q·x − Σ_b (dmin·m)[o, b]·(sx·Σx)[t, b] for rows [rowStart, rowEnd).</summary>
    public static void ComputeRows(Q8Activations x, Q4KWeight w, Span<float> y, int rowStart, int rowEnd)
    {
        Q8MatMul.CheckShapes(x, w.OutFeatures, w.InFeatures, y, rowStart, rowEnd);
        int k = w.InFeatures, blocks = w.BlocksPerRow, n = w.OutFeatures;
        const int B = Q8Format.BlockSize;
        var sums = x.ScaledSums();
        for (int t = 0; t < x.Tokens; t++)
            for (int o = rowStart; o < rowEnd; o++)
            {
                float acc = 0f, min = 0f;
                for (int b = 0; b < blocks; b++)
                {
                    int block = o * blocks + b;
                    int dot = BlockDot(w.Codes.Slice(block * Q4KWeight.BlockBytes, Q4KWeight.BlockBytes), x.Values.Slice(t * k + b * B, B));
                    acc += dot * (w.Scales[block] * x.Scales[t * blocks + b]);
                    min += w.Mins[block] * sums[t * blocks + b];
                }
                y[t * n + o] = acc - min;
            }
    }

    /// <summary>
    /// The specification of the row-interleaved path (<see cref="Q4KInterleavedWeight"/>), which it matches bit for bit,
    /// lane = (row, token): from acc = 0, min = 0, for b in order acc = fma(float(dot_b), (d·s)[o, b] · sx[t, b], acc) and
    /// min = fma((dmin·m)[o, b], (sx·Σx)[t, b], min), where dot_b is the block's exact integer dot; y[t, o] = acc − min.
    /// It differs from <see cref="ComputeRows"/> only in rounding (a fused add per term, the minimums summed apart).
    /// </summary>
    public static void ComputeRowsFused(Q8Activations x, Q4KInterleavedWeight w, Span<float> y, int rowStart, int rowEnd)
    {
        Q8MatMul.CheckShapes(x, w.OutFeatures, w.InFeatures, y, rowStart, rowEnd);
        int k = w.InFeatures, blocks = w.BlocksPerRow, n = w.OutFeatures;
        const int B = Q8Format.BlockSize;
        var sums = x.ScaledSums();
        Span<byte> codes = stackalloc byte[Q4KWeight.BlockBytes];
        for (int t = 0; t < x.Tokens; t++)
            for (int o = rowStart; o < rowEnd; o++)
            {
                float acc = 0f, min = 0f;
                for (int b = 0; b < blocks; b++)
                {
                    w.CopyBlock(o, b, codes);
                    int dot = BlockDot(codes, x.Values.Slice(t * k + b * B, B));
                    acc = MathF.FusedMultiplyAdd(dot, w.Scale(o, b) * x.Scales[t * blocks + b], acc);
                    min = MathF.FusedMultiplyAdd(w.Min(o, b), sums[t * blocks + b], min);
                }
                y[t * n + o] = acc - min;
            }
    }
}
