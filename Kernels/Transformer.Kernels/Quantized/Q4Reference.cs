namespace Transformer.Kernels.Quantized;

/// <summary>
/// The scalar specification of the 4-bit matmul: each block's codes decoded to q − 8 and dotted with the int8
/// activations exactly, then scaled and summed in block order as <see cref="Q8Reference"/> does. Every SIMD path
/// must agree with it (block dots exactly, float results within the rounding of their lane order).
/// </summary>
public static class Q4Reference
{
    /// <summary>Σ (q[i] − 8)·x[i] over one block, in exact integer arithmetic.</summary>
    public static int BlockDot(ReadOnlySpan<byte> codes, ReadOnlySpan<sbyte> x)
    {
        Span<sbyte> w = stackalloc sbyte[Q8Format.BlockSize];
        Q4Weight.DecodeBlock(codes, w);
        return Q8Reference.BlockDot(w, x);
    }

    /// <summary>y[t, o] = Σ_b (d[o, b] · sx[t, b]) · Σ_i (q[o, b, i] − 8) · x[t, b, i] for rows [rowStart, rowEnd).</summary>
    public static void ComputeRows(Q8Activations x, Q4Weight w, Span<float> y, int rowStart, int rowEnd)
    {
        Q8MatMul.CheckShapes(x, w.OutFeatures, w.InFeatures, y, rowStart, rowEnd);
        int k = w.InFeatures, blocks = w.BlocksPerRow, n = w.OutFeatures;
        const int B = Q8Format.BlockSize;
        var codes = w.Codes;
        var ws = w.Scales;
        var xq = x.Values;
        var xs = x.Scales;
        for (int t = 0; t < x.Tokens; t++)
            for (int o = rowStart; o < rowEnd; o++)
            {
                float acc = 0f;
                for (int b = 0; b < blocks; b++)
                {
                    int block = o * blocks + b;
                    int dot = BlockDot(codes.Slice(block * Q4Weight.BlockBytes, Q4Weight.BlockBytes), xq.Slice(t * k + b * B, B));
                    acc += dot * (ws[block] * xs[t * blocks + b]);
                }
                y[t * n + o] = acc;
            }
    }
}
