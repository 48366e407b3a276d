namespace Transformer.Kernels.Quantized;

/// <summary>
/// The scalar specification of the int8 matmul; every SIMD path must agree with it (integer
/// block dots exactly, float results within the rounding of a different summation order).
/// </summary>
public static class Q8Reference
{
    /// <summary>Σ w[i]·x[i] over one block, in exact integer arithmetic.</summary>
    public static int BlockDot(ReadOnlySpan<sbyte> w, ReadOnlySpan<sbyte> x)
    {
        if (w.Length != Q8Format.BlockSize || x.Length != Q8Format.BlockSize)
            throw new ArgumentException($"a Q8 block has {Q8Format.BlockSize} values, got {w.Length} and {x.Length}");
        int sum = 0;
        for (int i = 0; i < Q8Format.BlockSize; i++) sum += w[i] * x[i];
        return sum;
    }

    /// <summary>
    /// Σ of a float accumulator's lanes in the order every SIMD path reduces them: each half summed
    /// this way, then the two added (((l0+l1) + (l2+l3)) + ((l4+l5) + (l6+l7)) for eight lanes).
    /// </summary>
    public static float LaneSum(ReadOnlySpan<float> lanes)
    {
        if (lanes.Length == 0 || (lanes.Length & (lanes.Length - 1)) != 0)
            throw new ArgumentException($"an accumulator has a power-of-two number of lanes, got {lanes.Length}");
        if (lanes.Length == 1) return lanes[0];
        int half = lanes.Length / 2;
        return LaneSum(lanes[..half]) + LaneSum(lanes[half..]);
    }

    /// <summary>
    /// y[t, o] = Σ_b (sw[o, b] · sx[t, b]) · Σ_i w[o, b, i] · x[t, b, i] for output rows
    /// [rowStart, rowEnd) and every token; y is [tokens, OutFeatures].
    /// </summary>
    public static void ComputeRows(Q8Activations x, Q8Weight w, Span<float> y, int rowStart, int rowEnd)
    {
        Q8MatMul.CheckShapes(x, w, y, rowStart, rowEnd);
        int k = w.InFeatures, blocks = w.BlocksPerRow, n = w.OutFeatures;
        const int B = Q8Format.BlockSize;
        var wq = w.Values;
        var ws = w.Scales;
        var xq = x.Values;
        var xs = x.Scales;
        for (int t = 0; t < x.Tokens; t++)
            for (int o = rowStart; o < rowEnd; o++)
            {
                float acc = 0f;
                for (int b = 0; b < blocks; b++)
                {
                    int dot = BlockDot(wq.Slice(o * k + b * B, B), xq.Slice(t * k + b * B, B));
                    acc += dot * (ws[o * blocks + b] * xs[t * blocks + b]);
                }
                y[t * n + o] = acc;
            }
    }

    /// <summary>
    /// The specification of the row-interleaved path (<see cref="Q8InterleavedWeight"/>), which it matches
    /// bit for bit: y[t, o] = acc after acc = fma(float(dot_b), sw[o, b] · sx[t, b], acc) for b in order, from
    /// acc = 0, where dot_b is the block's exact integer dot.
    /// </summary>
    public static void ComputeRowsFused(Q8Activations x, Q8Weight w, Span<float> y, int rowStart, int rowEnd)
    {
        Q8MatMul.CheckShapes(x, w, y, rowStart, rowEnd);
        ComputeRowsFused(x, new RowMajorBlocks(w), w.OutFeatures, y, rowStart, rowEnd);
    }

    /// <summary>
    /// The same specification read from the repack itself (which keeps no row-major copy): the scalar path on a
    /// <see cref="Q8InterleavedWeight"/>, equal bit for bit to the overload on the weight it was repacked from.
    /// </summary>
    public static void ComputeRowsFused(Q8Activations x, Q8InterleavedWeight w, Span<float> y, int rowStart, int rowEnd)
    {
        Q8MatMul.CheckShapes(x, w.OutFeatures, w.InFeatures, y, rowStart, rowEnd);
        ComputeRowsFused(x, new InterleavedBlocks(w), w.OutFeatures, y, rowStart, rowEnd);
    }

    private static void ComputeRowsFused<TBlocks>(Q8Activations x, TBlocks w, int n, Span<float> y, int rowStart, int rowEnd)
        where TBlocks : struct, IWeightBlocks
    {
        const int B = Q8Format.BlockSize;
        int k = x.Features, blocks = k / B;
        var xq = x.Values;
        var xs = x.Scales;
        Span<sbyte> scratch = stackalloc sbyte[B];
        for (int t = 0; t < x.Tokens; t++)
            for (int o = rowStart; o < rowEnd; o++)
            {
                float acc = 0f;
                for (int b = 0; b < blocks; b++)
                {
                    int dot = BlockDot(w.Block(o, b, scratch), xq.Slice(t * k + b * B, B));
                    acc = MathF.FusedMultiplyAdd(dot, w.Scale(o, b) * xs[t * blocks + b], acc);
                }
                y[t * n + o] = acc;
            }
    }

    /// <summary>One weight block's signed values and its scale, whatever the layout holding them.</summary>
    private interface IWeightBlocks
    {
        ReadOnlySpan<sbyte> Block(int row, int block, Span<sbyte> scratch);
        float Scale(int row, int block);
    }

    private readonly struct RowMajorBlocks(Q8Weight w) : IWeightBlocks
    {
        public ReadOnlySpan<sbyte> Block(int row, int block, Span<sbyte> scratch) =>
            w.Values.Slice(row * w.InFeatures + block * Q8Format.BlockSize, Q8Format.BlockSize);

        public float Scale(int row, int block) => w.Scales[row * w.BlocksPerRow + block];
    }

    private readonly struct InterleavedBlocks(Q8InterleavedWeight w) : IWeightBlocks
    {
        public ReadOnlySpan<sbyte> Block(int row, int block, Span<sbyte> scratch)
        {
            w.CopyBlock(row, block, scratch);
            return scratch;
        }

        public float Scale(int row, int block) => w.Scale(row, block);
    }
}
