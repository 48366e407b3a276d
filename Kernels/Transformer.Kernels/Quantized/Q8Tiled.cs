using System.Runtime.CompilerServices;

namespace Transformer.Kernels.Quantized;

/// <summary>
/// The register-tiled int8 matmul for one <typeparamref name="TKernel"/> path. A tile is 4 weight
/// rows × 4 tokens: each block's weights are loaded (and widened) once for 4 tokens and each
/// activation block once for 4 rows, with 16 independent accumulators in registers. Token
/// tails use 4 × 1 tiles (also the whole GEMV), row tails 1 × 1. Every (row, token) result is
/// the same chain of <c>MultiplyAdd</c> in block order whichever tile computed it, so GEMM and
/// GEMV agree bitwise.
/// </summary>
internal static class Q8Tiled<TKernel, TW, TX, TI, TF>
    where TKernel : struct, IQ8Kernel<TW, TX, TI, TF>
    where TW : struct where TX : struct where TI : struct where TF : struct
{
    private const int B = Q8Format.BlockSize;

    // How many 4-row tiles ahead the GEMV prefetches its weights.
    private const int PrefetchTiles = 4;

    /// <summary>Rows [rowStart, rowEnd) of y [tokens, n] for all tokens. Shapes are checked by the caller.</summary>
    public static void ComputeRows(ref sbyte xq, ref float xs, int tokens, ref sbyte wq, ref float ws, int k, int n,
        ref float y, int rowStart, int rowEnd)
    {
        int blocks = k / B;
        int o = rowStart;
        for (; o + 4 <= rowEnd; o += 4)
        {
            ref sbyte wRow = ref Unsafe.Add(ref wq, (nint)o * k);
            ref float sRow = ref Unsafe.Add(ref ws, (nint)o * blocks);
            int t = 0;
            for (; t + 4 <= tokens; t += 4)
                Tile4x4(ref wRow, ref sRow, ref Unsafe.Add(ref xq, (nint)t * k), ref Unsafe.Add(ref xs, (nint)t * blocks),
                    k, blocks, ref Unsafe.Add(ref y, (nint)t * n + o), n);
            for (; t < tokens; t++)
                Tile4x1(ref wRow, ref sRow, ref Unsafe.Add(ref xq, (nint)t * k), ref Unsafe.Add(ref xs, (nint)t * blocks),
                    k, blocks, ref Unsafe.Add(ref y, (nint)t * n + o));
        }
        for (; o < rowEnd; o++)
            for (int t = 0; t < tokens; t++)
                Unsafe.Add(ref y, (nint)t * n + o) = Dot(ref Unsafe.Add(ref wq, (nint)o * k), ref Unsafe.Add(ref ws, (nint)o * blocks),
                    ref Unsafe.Add(ref xq, (nint)t * k), ref Unsafe.Add(ref xs, (nint)t * blocks), blocks);
    }

    /// <summary>The exact integer dot of one block through this path's instructions.</summary>
    public static int BlockDot(ref sbyte w, ref sbyte x) =>
        TKernel.SumInt(TKernel.Dot(TKernel.LoadWeights(ref w), TKernel.LoadActivations(ref x)));

    private static float Dot(ref sbyte w, ref float sw, ref sbyte x, ref float sx, int blocks)
    {
        TF acc = TKernel.Zero;
        for (int b = 0; b < blocks; b++)
        {
            nint at = (nint)b * B;
            TI dot = TKernel.Dot(TKernel.LoadWeights(ref Unsafe.Add(ref w, at)), TKernel.LoadActivations(ref Unsafe.Add(ref x, at)));
            acc = TKernel.MultiplyAdd(acc, dot, Unsafe.Add(ref sw, b) * Unsafe.Add(ref sx, b));
        }
        return TKernel.SumFloat(acc);
    }

    private static void Tile4x1(ref sbyte w, ref float sw, ref sbyte x, ref float sx, int k, int blocks, ref float y)
    {
        TF a0 = TKernel.Zero, a1 = TKernel.Zero, a2 = TKernel.Zero, a3 = TKernel.Zero;
        ref sbyte w1 = ref Unsafe.Add(ref w, k);
        ref sbyte w2 = ref Unsafe.Add(ref w, 2 * k);
        ref sbyte w3 = ref Unsafe.Add(ref w, 3 * k);
        ref float s1 = ref Unsafe.Add(ref sw, blocks);
        ref float s2 = ref Unsafe.Add(ref sw, 2 * blocks);
        ref float s3 = ref Unsafe.Add(ref sw, 3 * blocks);
        // The 4 rows are one contiguous run of 4·k bytes and the next tile's rows follow it: while
        // this tile reads 4 blocks (128 bytes) per step, prefetch the same amount PrefetchTiles ahead.
        ref sbyte ahead = ref Unsafe.Add(ref w, (nint)PrefetchTiles * 4 * k);
        for (int b = 0; b < blocks; b++)
        {
            nint at = (nint)b * B;
            Q8Prefetch.Line(ref Unsafe.Add(ref ahead, 4 * at));
            Q8Prefetch.Line(ref Unsafe.Add(ref ahead, 4 * at + 64));
            TX xb = TKernel.LoadActivations(ref Unsafe.Add(ref x, at));
            TF sxb = TKernel.Splat(Unsafe.Add(ref sx, b));
            a0 = TKernel.MultiplyAdd(a0, TKernel.Dot(TKernel.LoadWeights(ref Unsafe.Add(ref w, at)), xb), TKernel.Multiply(TKernel.Splat(Unsafe.Add(ref sw, b)), sxb));
            a1 = TKernel.MultiplyAdd(a1, TKernel.Dot(TKernel.LoadWeights(ref Unsafe.Add(ref w1, at)), xb), TKernel.Multiply(TKernel.Splat(Unsafe.Add(ref s1, b)), sxb));
            a2 = TKernel.MultiplyAdd(a2, TKernel.Dot(TKernel.LoadWeights(ref Unsafe.Add(ref w2, at)), xb), TKernel.Multiply(TKernel.Splat(Unsafe.Add(ref s2, b)), sxb));
            a3 = TKernel.MultiplyAdd(a3, TKernel.Dot(TKernel.LoadWeights(ref Unsafe.Add(ref w3, at)), xb), TKernel.Multiply(TKernel.Splat(Unsafe.Add(ref s3, b)), sxb));
        }
        y = TKernel.SumFloat(a0);
        Unsafe.Add(ref y, 1) = TKernel.SumFloat(a1);
        Unsafe.Add(ref y, 2) = TKernel.SumFloat(a2);
        Unsafe.Add(ref y, 3) = TKernel.SumFloat(a3);
    }

    private static void Tile4x4(ref sbyte w, ref float sw, ref sbyte x, ref float sx, int k, int blocks, ref float y, int n)
    {
        TF a00 = TKernel.Zero, a01 = TKernel.Zero, a02 = TKernel.Zero, a03 = TKernel.Zero;
        TF a10 = TKernel.Zero, a11 = TKernel.Zero, a12 = TKernel.Zero, a13 = TKernel.Zero;
        TF a20 = TKernel.Zero, a21 = TKernel.Zero, a22 = TKernel.Zero, a23 = TKernel.Zero;
        TF a30 = TKernel.Zero, a31 = TKernel.Zero, a32 = TKernel.Zero, a33 = TKernel.Zero;
        ref sbyte w1 = ref Unsafe.Add(ref w, k);
        ref sbyte w2 = ref Unsafe.Add(ref w, 2 * k);
        ref sbyte w3 = ref Unsafe.Add(ref w, 3 * k);
        ref float sw1 = ref Unsafe.Add(ref sw, blocks);
        ref float sw2 = ref Unsafe.Add(ref sw, 2 * blocks);
        ref float sw3 = ref Unsafe.Add(ref sw, 3 * blocks);
        ref sbyte x1 = ref Unsafe.Add(ref x, k);
        ref sbyte x2 = ref Unsafe.Add(ref x, 2 * k);
        ref sbyte x3 = ref Unsafe.Add(ref x, 3 * k);
        ref float sx1 = ref Unsafe.Add(ref sx, blocks);
        ref float sx2 = ref Unsafe.Add(ref sx, 2 * blocks);
        ref float sx3 = ref Unsafe.Add(ref sx, 3 * blocks);
        for (int b = 0; b < blocks; b++)
        {
            nint at = (nint)b * B;
            TX x0b = TKernel.LoadActivations(ref Unsafe.Add(ref x, at));
            TX x1b = TKernel.LoadActivations(ref Unsafe.Add(ref x1, at));
            TX x2b = TKernel.LoadActivations(ref Unsafe.Add(ref x2, at));
            TX x3b = TKernel.LoadActivations(ref Unsafe.Add(ref x3, at));
            // Scales as vectors: one lane-wise product per (row, token) instead of a scalar
            // product and a register broadcast; each lane rounds exactly like the scalar r·t.
            TF t0 = TKernel.Splat(Unsafe.Add(ref sx, b)), t1 = TKernel.Splat(Unsafe.Add(ref sx1, b));
            TF t2 = TKernel.Splat(Unsafe.Add(ref sx2, b)), t3 = TKernel.Splat(Unsafe.Add(ref sx3, b));

            TW wb = TKernel.LoadWeights(ref Unsafe.Add(ref w, at));
            TF r = TKernel.Splat(Unsafe.Add(ref sw, b));
            a00 = TKernel.MultiplyAdd(a00, TKernel.Dot(wb, x0b), TKernel.Multiply(r, t0));
            a01 = TKernel.MultiplyAdd(a01, TKernel.Dot(wb, x1b), TKernel.Multiply(r, t1));
            a02 = TKernel.MultiplyAdd(a02, TKernel.Dot(wb, x2b), TKernel.Multiply(r, t2));
            a03 = TKernel.MultiplyAdd(a03, TKernel.Dot(wb, x3b), TKernel.Multiply(r, t3));

            wb = TKernel.LoadWeights(ref Unsafe.Add(ref w1, at));
            r = TKernel.Splat(Unsafe.Add(ref sw1, b));
            a10 = TKernel.MultiplyAdd(a10, TKernel.Dot(wb, x0b), TKernel.Multiply(r, t0));
            a11 = TKernel.MultiplyAdd(a11, TKernel.Dot(wb, x1b), TKernel.Multiply(r, t1));
            a12 = TKernel.MultiplyAdd(a12, TKernel.Dot(wb, x2b), TKernel.Multiply(r, t2));
            a13 = TKernel.MultiplyAdd(a13, TKernel.Dot(wb, x3b), TKernel.Multiply(r, t3));

            wb = TKernel.LoadWeights(ref Unsafe.Add(ref w2, at));
            r = TKernel.Splat(Unsafe.Add(ref sw2, b));
            a20 = TKernel.MultiplyAdd(a20, TKernel.Dot(wb, x0b), TKernel.Multiply(r, t0));
            a21 = TKernel.MultiplyAdd(a21, TKernel.Dot(wb, x1b), TKernel.Multiply(r, t1));
            a22 = TKernel.MultiplyAdd(a22, TKernel.Dot(wb, x2b), TKernel.Multiply(r, t2));
            a23 = TKernel.MultiplyAdd(a23, TKernel.Dot(wb, x3b), TKernel.Multiply(r, t3));

            wb = TKernel.LoadWeights(ref Unsafe.Add(ref w3, at));
            r = TKernel.Splat(Unsafe.Add(ref sw3, b));
            a30 = TKernel.MultiplyAdd(a30, TKernel.Dot(wb, x0b), TKernel.Multiply(r, t0));
            a31 = TKernel.MultiplyAdd(a31, TKernel.Dot(wb, x1b), TKernel.Multiply(r, t1));
            a32 = TKernel.MultiplyAdd(a32, TKernel.Dot(wb, x2b), TKernel.Multiply(r, t2));
            a33 = TKernel.MultiplyAdd(a33, TKernel.Dot(wb, x3b), TKernel.Multiply(r, t3));
        }
        Store(ref y, TKernel.SumFloat(a00), TKernel.SumFloat(a10), TKernel.SumFloat(a20), TKernel.SumFloat(a30));
        Store(ref Unsafe.Add(ref y, n), TKernel.SumFloat(a01), TKernel.SumFloat(a11), TKernel.SumFloat(a21), TKernel.SumFloat(a31));
        Store(ref Unsafe.Add(ref y, 2 * n), TKernel.SumFloat(a02), TKernel.SumFloat(a12), TKernel.SumFloat(a22), TKernel.SumFloat(a32));
        Store(ref Unsafe.Add(ref y, 3 * n), TKernel.SumFloat(a03), TKernel.SumFloat(a13), TKernel.SumFloat(a23), TKernel.SumFloat(a33));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(ref float y, float v0, float v1, float v2, float v3)
    {
        y = v0;
        Unsafe.Add(ref y, 1) = v1;
        Unsafe.Add(ref y, 2) = v2;
        Unsafe.Add(ref y, 3) = v3;
    }
}
