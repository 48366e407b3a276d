using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Transformer.Kernels.Cpu.Isa;

namespace Transformer.Kernels.Cpu.Ops;

/// <summary>
/// The float-accumulating matmul y[t, o] = Σ_k x[t, k] · W[o, k] over any stored weight element
/// <c>TW</c> (float32, or F16/BF16 bit patterns): the shape checks, the scalar path, and the choice of
/// vector width for an ISA. The weight element is a type argument, so the JIT compiles one
/// specialized kernel per element type and width (float32 weights load straight into lanes, 16-bit
/// ones widen in registers), from this one driver.
/// </summary>
internal static class TiledMatMul
{
    /// <summary>
    /// Rows [rowStart, rowEnd) of y [tokens, outFeatures] for all tokens, on <paramref name="isa"/>;
    /// <typeparamref name="TScalar"/> widens one element for the scalar path, the others load a
    /// vector's worth for the 512-, 256- and 128-bit paths. <c>what</c> names the weight type in errors.
    /// </summary>
    public static void ComputeRows<TW, TScalar, TVector512, TVector256, TVector128>(string what, CpuIsa isa, ReadOnlySpan<float> x,
        int tokens, ReadOnlySpan<TW> weight, int inFeatures, int outFeatures, Span<float> y, int rowStart, int rowEnd)
        where TW : unmanaged
        where TScalar : struct, IWeightElement<TW>
        where TVector512 : struct, IWeightVector<TW, Vector512<float>>
        where TVector256 : struct, IWeightVector<TW, Vector256<float>>
        where TVector128 : struct, IWeightVector<TW, Vector128<float>>
    {
        if (inFeatures <= 0 || outFeatures <= 0 || tokens < 0)
            throw new ArgumentException($"{what} matmul shape: {tokens} tokens, weight [{outFeatures}, {inFeatures}]");
        if (x.Length != (long)tokens * inFeatures || weight.Length != (long)outFeatures * inFeatures || y.Length != (long)tokens * outFeatures)
            throw new ArgumentException($"{what} matmul: x holds {x.Length} (expected {(long)tokens * inFeatures}), weight {weight.Length} " +
                $"(expected {(long)outFeatures * inFeatures}), y {y.Length} (expected {(long)tokens * outFeatures})");
        if (rowStart < 0 || rowEnd > outFeatures || rowStart > rowEnd)
            throw new ArgumentOutOfRangeException(nameof(rowStart), $"row range [{rowStart}, {rowEnd}) is not within [0, {outFeatures})");
        CpuIsaSelection.Require(isa);
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref TW wr = ref MemoryMarshal.GetReference(weight);
        ref float yr = ref MemoryMarshal.GetReference(y);
        switch (isa)
        {
            case CpuIsa.Scalar:
                ScalarRows<TW, TScalar>(x, tokens, weight, inFeatures, outFeatures, y, rowStart, rowEnd);
                break;
            case CpuIsa.Avx512:
                TiledMatMul<Lanes512, TVector512, TW, Vector512<float>>.ComputeRows(ref xr, tokens, ref wr, inFeatures, outFeatures, ref yr, rowStart, rowEnd);
                break;
            case CpuIsa.Avx2 or CpuIsa.AvxVnni:
                TiledMatMul<Lanes256, TVector256, TW, Vector256<float>>.ComputeRows(ref xr, tokens, ref wr, inFeatures, outFeatures, ref yr, rowStart, rowEnd);
                break;
            case CpuIsa.Neon or CpuIsa.NeonDp:
                TiledMatMul<Lanes128, TVector128, TW, Vector128<float>>.ComputeRows(ref xr, tokens, ref wr, inFeatures, outFeatures, ref yr, rowStart, rowEnd);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(isa), isa, "unknown ISA");
        }
    }

    /// <summary>
    /// The scalar path over a row range, and with the whole range the reference: every weight widened
    /// exactly, one float sum per output in K order.
    /// </summary>
    public static void ScalarRows<TW, TScalar>(ReadOnlySpan<float> x, int tokens, ReadOnlySpan<TW> weight, int k, int n,
        Span<float> y, int rowStart, int rowEnd)
        where TW : unmanaged where TScalar : struct, IWeightElement<TW>
    {
        for (int t = 0; t < tokens; t++)
            for (int o = rowStart; o < rowEnd; o++)
            {
                float acc = 0;
                for (int i = 0; i < k; i++) acc += x[t * k + i] * TScalar.ToSingle(weight[o * k + i]);
                y[t * n + o] = acc;
            }
    }
}

/// <summary>
/// The tiled driver for one vector width and weight element: 4 weight rows × 4 tokens per tile so
/// each weight vector loaded (and widened) serves 4 tokens (prefill) and each activation vector 4
/// rows; one token (decode) uses 4 × 1 tiles, the last rows one at a time. Fused multiply-add in
/// float32; K tails shorter than a vector are added in scalar code. Shapes are checked by the caller.
/// </summary>
internal static class TiledMatMul<TLanes, TWeights, TW, TV>
    where TLanes : struct, IF32Lanes<TV>
    where TWeights : struct, IWeightVector<TW, TV>
    where TW : unmanaged
    where TV : struct
{
    // From this many tokens, 16-bit weights are widened once per 4-row block into a float32 scratch
    // that the float32 tiles then stream over every token: widening F16 in registers costs about ten
    // integer ops per vector, which a 4-token tile cannot amortize (F16 prefill ran at 0.4× BF16).
    // Widening is exact and the tiles are the same, so the results are bitwise those of the direct path.
    private const int WidenOnceTokens = 8;

    // Each thread's widened 4-row block, grown to the widest K it has seen.
    [ThreadStatic] private static float[]? s_widenedRows;

    public static void ComputeRows(ref float x, int tokens, ref TW w, int k, int n, ref float y, int rowStart, int rowEnd)
    {
        if (typeof(TW) != typeof(float) && tokens >= WidenOnceTokens)
        {
            ComputeRowsWidenedOnce(ref x, tokens, ref w, k, n, ref y, rowStart, rowEnd);
            return;
        }
        int vectorEnd = k - k % TLanes.Count;
        int o = rowStart;
        for (; o + 4 <= rowEnd; o += 4)
        {
            ref TW wRow = ref Unsafe.Add(ref w, (nint)o * k);
            int t = 0;
            for (; t + 4 <= tokens; t += 4)
                Tile4x4(ref wRow, ref Unsafe.Add(ref x, (nint)t * k), k, vectorEnd, ref Unsafe.Add(ref y, (nint)t * n + o), n);
            for (; t < tokens; t++)
                Tile4x1(ref wRow, ref Unsafe.Add(ref x, (nint)t * k), k, vectorEnd, ref Unsafe.Add(ref y, (nint)t * n + o));
        }
        for (; o < rowEnd; o++)
            for (int t = 0; t < tokens; t++)
                Unsafe.Add(ref y, (nint)t * n + o) = Dot(ref Unsafe.Add(ref w, (nint)o * k), ref Unsafe.Add(ref x, (nint)t * k), k, vectorEnd);
    }

    private static void ComputeRowsWidenedOnce(ref float x, int tokens, ref TW w, int k, int n, ref float y, int rowStart, int rowEnd)
    {
        int block = 4 * k;
        if (s_widenedRows is null || s_widenedRows.Length < block) s_widenedRows = new float[block];
        ref float widened = ref MemoryMarshal.GetArrayDataReference(s_widenedRows);
        for (int o = rowStart; o < rowEnd; o += 4)
        {
            int rows = Math.Min(4, rowEnd - o);
            int count = rows * k;
            ref TW source = ref Unsafe.Add(ref w, (nint)o * k);
            // The rows of a block are contiguous, so vectors may straddle them.
            int i = 0, whole = count - count % TLanes.Count;
            for (; i < whole; i += TLanes.Count)
                TLanes.Store(TWeights.Load(ref Unsafe.Add(ref source, i)), ref Unsafe.Add(ref widened, i));
            for (; i < count; i++) Unsafe.Add(ref widened, i) = TWeights.ToSingle(Unsafe.Add(ref source, i));
            // The block's rows are rows [0, rows) of the scratch; y is shifted so they land on rows o.
            TiledMatMul<TLanes, F32Vector<TLanes, TV>, float, TV>.ComputeRows(ref x, tokens, ref widened, k, n, ref Unsafe.Add(ref y, o), 0, rows);
        }
    }

    private static float Tail(ref TW w, ref float x, int from, int k)
    {
        float sum = 0;
        for (int i = from; i < k; i++) sum += TWeights.ToSingle(Unsafe.Add(ref w, i)) * Unsafe.Add(ref x, i);
        return sum;
    }

    private static float Dot(ref TW w, ref float x, int k, int vectorEnd)
    {
        TV acc = TLanes.Zero;
        for (int i = 0; i < vectorEnd; i += TLanes.Count)
            acc = TLanes.MultiplyAdd(acc, TWeights.Load(ref Unsafe.Add(ref w, i)), TLanes.Load(ref Unsafe.Add(ref x, i)));
        return TLanes.Sum(acc) + Tail(ref w, ref x, vectorEnd, k);
    }

    private static void Tile4x1(ref TW w0, ref float x, int k, int vectorEnd, ref float y)
    {
        ref TW w1 = ref Unsafe.Add(ref w0, k);
        ref TW w2 = ref Unsafe.Add(ref w0, 2 * k);
        ref TW w3 = ref Unsafe.Add(ref w0, 3 * k);
        TV a0 = TLanes.Zero, a1 = TLanes.Zero, a2 = TLanes.Zero, a3 = TLanes.Zero;
        for (int i = 0; i < vectorEnd; i += TLanes.Count)
        {
            TV xv = TLanes.Load(ref Unsafe.Add(ref x, i));
            a0 = TLanes.MultiplyAdd(a0, TWeights.Load(ref Unsafe.Add(ref w0, i)), xv);
            a1 = TLanes.MultiplyAdd(a1, TWeights.Load(ref Unsafe.Add(ref w1, i)), xv);
            a2 = TLanes.MultiplyAdd(a2, TWeights.Load(ref Unsafe.Add(ref w2, i)), xv);
            a3 = TLanes.MultiplyAdd(a3, TWeights.Load(ref Unsafe.Add(ref w3, i)), xv);
        }
        y = TLanes.Sum(a0) + Tail(ref w0, ref x, vectorEnd, k);
        Unsafe.Add(ref y, 1) = TLanes.Sum(a1) + Tail(ref w1, ref x, vectorEnd, k);
        Unsafe.Add(ref y, 2) = TLanes.Sum(a2) + Tail(ref w2, ref x, vectorEnd, k);
        Unsafe.Add(ref y, 3) = TLanes.Sum(a3) + Tail(ref w3, ref x, vectorEnd, k);
    }

    private static void Tile4x4(ref TW w0, ref float x0, int k, int vectorEnd, ref float y, int n)
    {
        ref TW w1 = ref Unsafe.Add(ref w0, k);
        ref TW w2 = ref Unsafe.Add(ref w0, 2 * k);
        ref TW w3 = ref Unsafe.Add(ref w0, 3 * k);
        ref float x1 = ref Unsafe.Add(ref x0, k);
        ref float x2 = ref Unsafe.Add(ref x0, 2 * k);
        ref float x3 = ref Unsafe.Add(ref x0, 3 * k);
        TV a00 = TLanes.Zero, a01 = TLanes.Zero, a02 = TLanes.Zero, a03 = TLanes.Zero;
        TV a10 = TLanes.Zero, a11 = TLanes.Zero, a12 = TLanes.Zero, a13 = TLanes.Zero;
        TV a20 = TLanes.Zero, a21 = TLanes.Zero, a22 = TLanes.Zero, a23 = TLanes.Zero;
        TV a30 = TLanes.Zero, a31 = TLanes.Zero, a32 = TLanes.Zero, a33 = TLanes.Zero;
        for (int i = 0; i < vectorEnd; i += TLanes.Count)
        {
            TV v0 = TLanes.Load(ref Unsafe.Add(ref x0, i));
            TV v1 = TLanes.Load(ref Unsafe.Add(ref x1, i));
            TV v2 = TLanes.Load(ref Unsafe.Add(ref x2, i));
            TV v3 = TLanes.Load(ref Unsafe.Add(ref x3, i));
            TV wv = TWeights.Load(ref Unsafe.Add(ref w0, i));
            a00 = TLanes.MultiplyAdd(a00, wv, v0); a01 = TLanes.MultiplyAdd(a01, wv, v1);
            a02 = TLanes.MultiplyAdd(a02, wv, v2); a03 = TLanes.MultiplyAdd(a03, wv, v3);
            wv = TWeights.Load(ref Unsafe.Add(ref w1, i));
            a10 = TLanes.MultiplyAdd(a10, wv, v0); a11 = TLanes.MultiplyAdd(a11, wv, v1);
            a12 = TLanes.MultiplyAdd(a12, wv, v2); a13 = TLanes.MultiplyAdd(a13, wv, v3);
            wv = TWeights.Load(ref Unsafe.Add(ref w2, i));
            a20 = TLanes.MultiplyAdd(a20, wv, v0); a21 = TLanes.MultiplyAdd(a21, wv, v1);
            a22 = TLanes.MultiplyAdd(a22, wv, v2); a23 = TLanes.MultiplyAdd(a23, wv, v3);
            wv = TWeights.Load(ref Unsafe.Add(ref w3, i));
            a30 = TLanes.MultiplyAdd(a30, wv, v0); a31 = TLanes.MultiplyAdd(a31, wv, v1);
            a32 = TLanes.MultiplyAdd(a32, wv, v2); a33 = TLanes.MultiplyAdd(a33, wv, v3);
        }
        ref float y1 = ref Unsafe.Add(ref y, n);
        ref float y2 = ref Unsafe.Add(ref y, 2 * n);
        ref float y3 = ref Unsafe.Add(ref y, 3 * n);
        y = TLanes.Sum(a00) + Tail(ref w0, ref x0, vectorEnd, k);
        Unsafe.Add(ref y, 1) = TLanes.Sum(a10) + Tail(ref w1, ref x0, vectorEnd, k);
        Unsafe.Add(ref y, 2) = TLanes.Sum(a20) + Tail(ref w2, ref x0, vectorEnd, k);
        Unsafe.Add(ref y, 3) = TLanes.Sum(a30) + Tail(ref w3, ref x0, vectorEnd, k);
        y1 = TLanes.Sum(a01) + Tail(ref w0, ref x1, vectorEnd, k);
        Unsafe.Add(ref y1, 1) = TLanes.Sum(a11) + Tail(ref w1, ref x1, vectorEnd, k);
        Unsafe.Add(ref y1, 2) = TLanes.Sum(a21) + Tail(ref w2, ref x1, vectorEnd, k);
        Unsafe.Add(ref y1, 3) = TLanes.Sum(a31) + Tail(ref w3, ref x1, vectorEnd, k);
        y2 = TLanes.Sum(a02) + Tail(ref w0, ref x2, vectorEnd, k);
        Unsafe.Add(ref y2, 1) = TLanes.Sum(a12) + Tail(ref w1, ref x2, vectorEnd, k);
        Unsafe.Add(ref y2, 2) = TLanes.Sum(a22) + Tail(ref w2, ref x2, vectorEnd, k);
        Unsafe.Add(ref y2, 3) = TLanes.Sum(a32) + Tail(ref w3, ref x2, vectorEnd, k);
        y3 = TLanes.Sum(a03) + Tail(ref w0, ref x3, vectorEnd, k);
        Unsafe.Add(ref y3, 1) = TLanes.Sum(a13) + Tail(ref w1, ref x3, vectorEnd, k);
        Unsafe.Add(ref y3, 2) = TLanes.Sum(a23) + Tail(ref w2, ref x3, vectorEnd, k);
        Unsafe.Add(ref y3, 3) = TLanes.Sum(a33) + Tail(ref w3, ref x3, vectorEnd, k);
    }
}
