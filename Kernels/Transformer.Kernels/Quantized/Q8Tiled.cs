using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Transformer.Kernels.Cpu;

namespace Transformer.Kernels.Quantized;

/// <summary>
/// The register-tiled int8 matmul for one path: <typeparamref name="TDot"/> forms each block's
/// integer dot and <typeparamref name="TAcc"/> scales it into float accumulators. A tile is 4 weight
/// rows × 4 tokens: each block's weights are loaded (and widened) once for 4 tokens and each
/// activation block once for 4 rows, with 16 independent accumulators in registers. Token
/// tails use 4 × 1 tiles (also the whole GEMV), row tails 1 × 1. Every (row, token) result is
/// the same chain of <c>MultiplyAdd</c> in block order, reduced by <c>Sum4</c> in one fixed lane
/// order, whichever tile computed it, so GEMM and GEMV agree bitwise. Weights are int8 or 4-bit codes
/// (<see cref="IQ8BlockDot{TW, TX, TI}.WeightBlockBytes"/> bytes a block), activations always int8.
/// </summary>
internal static class Q8Tiled<TDot, TAcc, TW, TX, TI, TF>
    where TDot : struct, IQ8BlockDot<TW, TX, TI>
    where TAcc : struct, IQ8Accumulator<TI, TF>
    where TW : struct where TX : struct where TI : struct where TF : struct
{
    private const int B = Q8Format.BlockSize;

    /// <summary>Bytes of one block's weights.</summary>
    private static int WB => TDot.WeightBlockBytes;

    // How many 4-row tiles ahead the GEMV prefetches its weights. Measured end to end (2 threads,
    // decode GB/s, interleaved runs): 1 or 2 tiles beat 4 by 3–7% on tinyllama-1.1b and smollm2-135m;
    // 3 and 8 were worse. 2 keeps a few KB in flight even at K = 576.
    private const int PrefetchTiles = 2;

    /// <summary>Rows [rowStart, rowEnd) of y [tokens, n] for all tokens. Shapes are checked by the caller.</summary>
    public static void ComputeRows(ref sbyte xq, ref float xs, int tokens, ref sbyte wq, ref float ws, int k, int n,
        ref float y, int rowStart, int rowEnd)
    {
        int blocks = k / B;
        int wk = blocks * WB; // bytes of one weight row
        int o = rowStart;
        for (; o + 4 <= rowEnd; o += 4)
        {
            ref sbyte wRow = ref Unsafe.Add(ref wq, (nint)o * wk);
            ref float sRow = ref Unsafe.Add(ref ws, (nint)o * blocks);
            int t = 0;
            for (; t + 4 <= tokens; t += 4)
                Tile4x4(ref wRow, ref sRow, ref Unsafe.Add(ref xq, (nint)t * k), ref Unsafe.Add(ref xs, (nint)t * blocks),
                    k, wk, blocks, ref Unsafe.Add(ref y, (nint)t * n + o), n);
            for (; t < tokens; t++)
                Tile4x1(ref wRow, ref sRow, ref Unsafe.Add(ref xq, (nint)t * k), ref Unsafe.Add(ref xs, (nint)t * blocks),
                    wk, blocks, ref Unsafe.Add(ref y, (nint)t * n + o));
        }
        for (; o < rowEnd; o++)
            for (int t = 0; t < tokens; t++)
                Unsafe.Add(ref y, (nint)t * n + o) = Dot(ref Unsafe.Add(ref wq, (nint)o * wk), ref Unsafe.Add(ref ws, (nint)o * blocks),
                    ref Unsafe.Add(ref xq, (nint)t * k), ref Unsafe.Add(ref xs, (nint)t * blocks), blocks);
    }

    /// <summary>Blocks per step of this path's dot.</summary>
    private static int Step => TDot.BlocksPerStep;

    /// <summary>The 4 rows' weights of one step PrefetchTiles ahead: 4 · WB bytes per block (two lines of int8, one of 4-bit codes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchStep(ref sbyte at)
    {
        for (int line = 0; line < 4 * WB * Step / 64; line++) CachePrefetch.Line(ref Unsafe.Add(ref at, 64 * line));
    }

    /// <summary>The exact integer dot of one step through this path's instructions.</summary>
    public static int BlockDot(ref sbyte w, ref sbyte x) =>
        TAcc.SumInt(TDot.Dot(TDot.LoadWeights(ref w), TDot.LoadActivations(ref x)));

    private static float Dot(ref sbyte w, ref float sw, ref sbyte x, ref float sx, int blocks)
    {
        TF acc = TAcc.Zero;
        for (int b = 0; b < blocks; b += Step)
        {
            TI dot = TDot.Dot(TDot.LoadWeights(ref Unsafe.Add(ref w, (nint)b * WB)), TDot.LoadActivations(ref Unsafe.Add(ref x, (nint)b * B)));
            acc = TAcc.MultiplyAdd(acc, dot, TAcc.Multiply(TAcc.StepScales(ref Unsafe.Add(ref sw, b)), TAcc.StepScales(ref Unsafe.Add(ref sx, b))));
        }
        return Sum(acc);
    }

    /// <summary>One accumulator's lane sum, through the same network as the tiles' four.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Sum(TF acc) => TAcc.Sum4(acc, acc, acc, acc).ToScalar();

    /// <summary>
    /// The lane sums of the four accumulators stored at <paramref name="lanes"/>, reduced together
    /// as a tile does into <paramref name="together"/> and one at a time as a row tail does into
    /// <paramref name="oneByOne"/> (four floats each).
    /// </summary>
    public static void LaneSums(ref float lanes, ref float together, ref float oneByOne)
    {
        int width = Unsafe.SizeOf<TF>() / sizeof(float);
        TF a = Load(ref lanes), b = Load(ref Unsafe.Add(ref lanes, width));
        TF c = Load(ref Unsafe.Add(ref lanes, 2 * width)), d = Load(ref Unsafe.Add(ref lanes, 3 * width));
        TAcc.Sum4(a, b, c, d).StoreUnsafe(ref together);
        oneByOne = Sum(a);
        Unsafe.Add(ref oneByOne, 1) = Sum(b);
        Unsafe.Add(ref oneByOne, 2) = Sum(c);
        Unsafe.Add(ref oneByOne, 3) = Sum(d);

        static TF Load(ref float at) => Unsafe.ReadUnaligned<TF>(ref Unsafe.As<float, byte>(ref at));
    }

    private static void Tile4x1(ref sbyte w, ref float sw, ref sbyte x, ref float sx, int wk, int blocks, ref float y)
    {
        TF a0 = TAcc.Zero, a1 = TAcc.Zero, a2 = TAcc.Zero, a3 = TAcc.Zero;
        ref sbyte w1 = ref Unsafe.Add(ref w, wk);
        ref sbyte w2 = ref Unsafe.Add(ref w, 2 * wk);
        ref sbyte w3 = ref Unsafe.Add(ref w, 3 * wk);
        ref float s1 = ref Unsafe.Add(ref sw, blocks);
        ref float s2 = ref Unsafe.Add(ref sw, 2 * blocks);
        ref float s3 = ref Unsafe.Add(ref sw, 3 * blocks);
        // The 4 rows are one contiguous run of 4·wk bytes and the next tile's rows follow it: while
        // this tile reads 4 rows' step (4·WB bytes a block) per step, prefetch the same amount PrefetchTiles ahead.
        ref sbyte ahead = ref Unsafe.Add(ref w, (nint)PrefetchTiles * 4 * wk);
        for (int b = 0; b < blocks; b += Step)
        {
            nint at = (nint)b * WB;
            PrefetchStep(ref Unsafe.Add(ref ahead, 4 * at));
            TX xb = TDot.LoadActivations(ref Unsafe.Add(ref x, (nint)b * B));
            TF sxb = TAcc.StepScales(ref Unsafe.Add(ref sx, b));
            a0 = TAcc.MultiplyAdd(a0, TDot.Dot(TDot.LoadWeights(ref Unsafe.Add(ref w, at)), xb), TAcc.Multiply(TAcc.StepScales(ref Unsafe.Add(ref sw, b)), sxb));
            a1 = TAcc.MultiplyAdd(a1, TDot.Dot(TDot.LoadWeights(ref Unsafe.Add(ref w1, at)), xb), TAcc.Multiply(TAcc.StepScales(ref Unsafe.Add(ref s1, b)), sxb));
            a2 = TAcc.MultiplyAdd(a2, TDot.Dot(TDot.LoadWeights(ref Unsafe.Add(ref w2, at)), xb), TAcc.Multiply(TAcc.StepScales(ref Unsafe.Add(ref s2, b)), sxb));
            a3 = TAcc.MultiplyAdd(a3, TDot.Dot(TDot.LoadWeights(ref Unsafe.Add(ref w3, at)), xb), TAcc.Multiply(TAcc.StepScales(ref Unsafe.Add(ref s3, b)), sxb));
        }
        TAcc.Sum4(a0, a1, a2, a3).StoreUnsafe(ref y);
    }

    private static void Tile4x4(ref sbyte w, ref float sw, ref sbyte x, ref float sx, int k, int wk, int blocks, ref float y, int n)
    {
        TF a00 = TAcc.Zero, a01 = TAcc.Zero, a02 = TAcc.Zero, a03 = TAcc.Zero;
        TF a10 = TAcc.Zero, a11 = TAcc.Zero, a12 = TAcc.Zero, a13 = TAcc.Zero;
        TF a20 = TAcc.Zero, a21 = TAcc.Zero, a22 = TAcc.Zero, a23 = TAcc.Zero;
        TF a30 = TAcc.Zero, a31 = TAcc.Zero, a32 = TAcc.Zero, a33 = TAcc.Zero;
        ref sbyte w1 = ref Unsafe.Add(ref w, wk);
        ref sbyte w2 = ref Unsafe.Add(ref w, 2 * wk);
        ref sbyte w3 = ref Unsafe.Add(ref w, 3 * wk);
        ref float sw1 = ref Unsafe.Add(ref sw, blocks);
        ref float sw2 = ref Unsafe.Add(ref sw, 2 * blocks);
        ref float sw3 = ref Unsafe.Add(ref sw, 3 * blocks);
        ref sbyte x1 = ref Unsafe.Add(ref x, k);
        ref sbyte x2 = ref Unsafe.Add(ref x, 2 * k);
        ref sbyte x3 = ref Unsafe.Add(ref x, 3 * k);
        ref float sx1 = ref Unsafe.Add(ref sx, blocks);
        ref float sx2 = ref Unsafe.Add(ref sx, 2 * blocks);
        ref float sx3 = ref Unsafe.Add(ref sx, 3 * blocks);
        // As in Tile4x1: a tile over few tokens is as bound by the weight stream as the GEMV.
        ref sbyte ahead = ref Unsafe.Add(ref w, (nint)PrefetchTiles * 4 * wk);
        for (int b = 0; b < blocks; b += Step)
        {
            nint at = (nint)b * WB, xat = (nint)b * B;
            PrefetchStep(ref Unsafe.Add(ref ahead, 4 * at));
            TX x0b = TDot.LoadActivations(ref Unsafe.Add(ref x, xat));
            TX x1b = TDot.LoadActivations(ref Unsafe.Add(ref x1, xat));
            TX x2b = TDot.LoadActivations(ref Unsafe.Add(ref x2, xat));
            TX x3b = TDot.LoadActivations(ref Unsafe.Add(ref x3, xat));
            // Scales as vectors: one lane-wise product per (row, token) instead of a scalar
            // product and a register broadcast; each lane rounds exactly like the scalar r·t.
            TF t0 = TAcc.StepScales(ref Unsafe.Add(ref sx, b)), t1 = TAcc.StepScales(ref Unsafe.Add(ref sx1, b));
            TF t2 = TAcc.StepScales(ref Unsafe.Add(ref sx2, b)), t3 = TAcc.StepScales(ref Unsafe.Add(ref sx3, b));

            TW wb = TDot.LoadWeights(ref Unsafe.Add(ref w, at));
            TF r = TAcc.StepScales(ref Unsafe.Add(ref sw, b));
            a00 = TAcc.MultiplyAdd(a00, TDot.Dot(wb, x0b), TAcc.Multiply(r, t0));
            a01 = TAcc.MultiplyAdd(a01, TDot.Dot(wb, x1b), TAcc.Multiply(r, t1));
            a02 = TAcc.MultiplyAdd(a02, TDot.Dot(wb, x2b), TAcc.Multiply(r, t2));
            a03 = TAcc.MultiplyAdd(a03, TDot.Dot(wb, x3b), TAcc.Multiply(r, t3));

            wb = TDot.LoadWeights(ref Unsafe.Add(ref w1, at));
            r = TAcc.StepScales(ref Unsafe.Add(ref sw1, b));
            a10 = TAcc.MultiplyAdd(a10, TDot.Dot(wb, x0b), TAcc.Multiply(r, t0));
            a11 = TAcc.MultiplyAdd(a11, TDot.Dot(wb, x1b), TAcc.Multiply(r, t1));
            a12 = TAcc.MultiplyAdd(a12, TDot.Dot(wb, x2b), TAcc.Multiply(r, t2));
            a13 = TAcc.MultiplyAdd(a13, TDot.Dot(wb, x3b), TAcc.Multiply(r, t3));

            wb = TDot.LoadWeights(ref Unsafe.Add(ref w2, at));
            r = TAcc.StepScales(ref Unsafe.Add(ref sw2, b));
            a20 = TAcc.MultiplyAdd(a20, TDot.Dot(wb, x0b), TAcc.Multiply(r, t0));
            a21 = TAcc.MultiplyAdd(a21, TDot.Dot(wb, x1b), TAcc.Multiply(r, t1));
            a22 = TAcc.MultiplyAdd(a22, TDot.Dot(wb, x2b), TAcc.Multiply(r, t2));
            a23 = TAcc.MultiplyAdd(a23, TDot.Dot(wb, x3b), TAcc.Multiply(r, t3));

            wb = TDot.LoadWeights(ref Unsafe.Add(ref w3, at));
            r = TAcc.StepScales(ref Unsafe.Add(ref sw3, b));
            a30 = TAcc.MultiplyAdd(a30, TDot.Dot(wb, x0b), TAcc.Multiply(r, t0));
            a31 = TAcc.MultiplyAdd(a31, TDot.Dot(wb, x1b), TAcc.Multiply(r, t1));
            a32 = TAcc.MultiplyAdd(a32, TDot.Dot(wb, x2b), TAcc.Multiply(r, t2));
            a33 = TAcc.MultiplyAdd(a33, TDot.Dot(wb, x3b), TAcc.Multiply(r, t3));
        }
        // Token t's four rows are contiguous in y: one network and one store per token.
        TAcc.Sum4(a00, a10, a20, a30).StoreUnsafe(ref y);
        TAcc.Sum4(a01, a11, a21, a31).StoreUnsafe(ref Unsafe.Add(ref y, n));
        TAcc.Sum4(a02, a12, a22, a32).StoreUnsafe(ref Unsafe.Add(ref y, 2 * n));
        TAcc.Sum4(a03, a13, a23, a33).StoreUnsafe(ref Unsafe.Add(ref y, 3 * n));
    }
}
