using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Transformer.Kernels.Cpu;

namespace Transformer.Kernels.Quantized;

/// <summary>
/// One step of a block's int32 dots on the row-interleaved layout: unsigned codes (one 4-byte chunk per row lane)
/// against one token's signed 4-byte chunk broadcast to every lane. Two instructions do it exactly.
/// </summary>
internal interface IQ4KChunkDot
{
    /// <summary>The running state after adding the chunk's 4 products per lane.</summary>
    static abstract Vector256<int> Add(Vector256<int> state, Vector256<byte> codes, Vector256<sbyte> chunk);

    /// <summary>The block's int32 dot per lane, from the state after all 8 chunks.</summary>
    static abstract Vector256<int> Finish(Vector256<int> state);
}

/// <summary>AVX-VNNI: vpdpbusd, the codes being exactly its unsigned operand (no +128 offset to undo).</summary>
internal readonly struct Q4KVpdpbusdChunkDot : IQ4KChunkDot
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Add(Vector256<int> state, Vector256<byte> codes, Vector256<sbyte> chunk) =>
        AvxVnni.MultiplyWideningAndAdd(state, codes, chunk);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Finish(Vector256<int> state) => state;
}

/// <summary>
/// AVX2: vpmaddubsw gives each lane two int16 pair sums (|·| ≤ 2·15·127 = 3810); the state adds the 8 chunks' pairs
/// as int16 (|·| ≤ 8·3810 = 30480, no wrap) and one vpmaddwd by ones widens them to the lane's int32 dot.
/// </summary>
internal readonly struct Q4KMaddubsChunkDot : IQ4KChunkDot
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Add(Vector256<int> state, Vector256<byte> codes, Vector256<sbyte> chunk) =>
        (state.AsInt16() + Avx2.MultiplyAddAdjacent(codes, chunk)).AsInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Finish(Vector256<int> state) => Avx2.MultiplyAddAdjacent(state.AsInt16(), Vector256<short>.One);
}

/// <summary>
/// The Q4_K matmul on a <see cref="Q4KInterleavedWeight"/>: a tile is one group of 8 rows (one per int32 lane) × 4
/// tokens, or × 1 for the tail. Per block the 4 code vectors are unpacked once (an and, a shift) into the 8 chunks of
/// all 8 rows and each serves every token of the tile against a broadcast 4-byte chunk, so a block's dots come out one
/// row per lane with no horizontal sums; the low- and high-nibble chunks sum in two chains per token, finished and
/// added once per block (exact integers, so in any order), which kept the AVX2 path's dependent int16 adds from
/// bounding it (84 → 130 GOP/s per core at 8 tokens on an Emerald Rapids core). Per super-block the 8 rows' d and dmin
/// are loaded once; per block the scale and minimum bytes are widened and multiplied by them (sw_b = d·s_b,
/// mw_b = dmin·m_b, ggml's products exactly). Each lane is one (row, token) result computed as
/// acc = fma(float(dot_b), sw_b · sx_b, acc), min = fma(mw_b, (sx·Σx)_b, min) in block order, then acc − min: the
/// arithmetic of <see cref="Q4KReference.ComputeRowsFused"/> bit for bit, whichever tile, token count, row range or
/// chunk dot (<see cref="IQ4KChunkDot"/>) computed it.
/// </summary>
internal static class Q4KInterleavedKernel
{
    private const int B = Q8Format.BlockSize;
    private const int Rows = Q4KInterleavedWeight.GroupRows;
    private const int RecordBytes = Q4KInterleavedWeight.RecordBytes;
    private const int HeaderBytes = Q4KInterleavedWeight.HeaderBytes;
    private const int SuperBlockBytes = Q4KInterleavedWeight.SuperBlockBytes;
    private const int SuperBlockBlocks = Q4KInterleavedWeight.SuperBlockBlocks;
    private const int VectorBytes = Q4KInterleavedWeight.VectorBytes;
    private const int CodeVectors = Q4KInterleavedWeight.CodeVectors;

    // Weight bytes ahead of the read position the stream prefetches: two super-blocks of a group (2.4 KB), about the
    // int8 kernels' distance. One (1.2 KB) left tinyllama Q4_K_M decode at 31 tok/s, 80 % of the bandwidth bound on a
    // 2-core Xeon; two to six all gave 33–35.
    private const int PrefetchBytes = 2 * SuperBlockBytes;

    // Lines asked for per record: 3 lines 64 bytes apart from each record's start leave no line of the stream out
    // (a 144-byte record starts at most 144 bytes after the last one, a header's 64 bytes fall between them).
    private const int PrefetchLines = 3;

    /// <summary>y[t, o] for rows [rowStart, rowEnd) and all tokens; shapes are checked by the caller.</summary>
    public static void ComputeRows<TDot>(Q8Activations x, Q4KInterleavedWeight w, Span<float> y, int rowStart, int rowEnd)
        where TDot : struct, IQ4KChunkDot
    {
        ref sbyte xq = ref MemoryMarshal.GetReference(x.Values);
        ref float xs = ref MemoryMarshal.GetReference(x.Scales);
        ref float xm = ref MemoryMarshal.GetReference(x.ScaledSums());
        ref byte wr = ref MemoryMarshal.GetReference(w.Data);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int k = w.InFeatures, n = w.OutFeatures, blocks = w.BlocksPerRow, tokens = x.Tokens;
        for (int g = rowStart / Rows; g * Rows < rowEnd; g++)
        {
            ref byte wg = ref Unsafe.Add(ref wr, (nint)(g * w.GroupBytes));
            int first = Math.Max(rowStart, g * Rows), end = Math.Min(rowEnd, (g + 1) * Rows);
            bool whole = first == g * Rows && end == (g + 1) * Rows;
            int t = 0;
            for (; t + 4 <= tokens; t += 4)
            {
                // As the int8 kernel: the tiles after the first find the group cached and ask for the next one.
                nint ahead = t == 0 ? PrefetchBytes : (nint)w.GroupBytes;
                Tile8x4<TDot>(ref wg, ref Unsafe.Add(ref xq, (nint)t * k), ref Unsafe.Add(ref xs, (nint)t * blocks),
                    ref Unsafe.Add(ref xm, (nint)t * blocks), k, blocks, ahead, out var y0, out var y1, out var y2, out var y3);
                InterleavedTiles.Store(y0, ref yr, (nint)t * n, g, first, end, whole);
                InterleavedTiles.Store(y1, ref yr, (nint)(t + 1) * n, g, first, end, whole);
                InterleavedTiles.Store(y2, ref yr, (nint)(t + 2) * n, g, first, end, whole);
                InterleavedTiles.Store(y3, ref yr, (nint)(t + 3) * n, g, first, end, whole);
            }
            for (; t < tokens; t++)
                InterleavedTiles.Store(Tile8x1<TDot>(ref wg, ref Unsafe.Add(ref xq, (nint)t * k), ref Unsafe.Add(ref xs, (nint)t * blocks),
                    ref Unsafe.Add(ref xm, (nint)t * blocks), blocks), ref yr, (nint)t * n, g, first, end, whole);
        }
    }

    /// <summary>Code vector v's low nibbles: chunk v of the 8 rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Low(Vector256<byte> codes) => codes & Vector256.Create((byte)0x0F);

    /// <summary>Code vector v's high nibbles: chunk v + 4 of the 8 rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> High(Vector256<byte> codes) =>
        Vector256.ShiftRightLogical(codes.AsUInt16(), 4).AsByte() & Vector256.Create((byte)0x0F);

    /// <summary>acc + float(dot) · (sw · sx): the block's one rounding of the scale product and one fused add.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Scale(Vector256<float> acc, Vector256<int> dot, Vector256<float> sw, float sx) =>
        Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), sw * Vector256.Create(sx), acc);

    /// <summary>min + mw · (sx·Σx): the block's minimums term, one fused add.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Min(Vector256<float> min, Vector256<float> mw, float sum) =>
        Fma.MultiplyAdd(mw, Vector256.Create(sum), min);

    /// <summary>Asks for the stream <paramref name="ahead"/> bytes ahead of <paramref name="record"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Prefetch(ref byte record, nint ahead)
    {
        for (int line = 0; line < PrefetchLines; line++) CachePrefetch.Line(ref Unsafe.Add(ref record, ahead + 64 * line));
    }

    /// <summary>Where block b's record starts in its group: after the headers of super-blocks 0..b/8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref byte RecordOf(ref byte group, int b) =>
        ref Unsafe.Add(ref group, (nint)(b / SuperBlockBlocks + 1) * HeaderBytes + (nint)b * RecordBytes);

    /// <summary>Block b's 8 rows' factor times their byte at <paramref name="offset"/>: d·s or dmin·m, one float32 multiply.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Products(Vector256<float> factors, ref byte record, int offset) =>
        factors * Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(
            Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<long>(ref Unsafe.Add(ref record, offset))).AsByte()));

    private static Vector256<float> Tile8x1<TDot>(ref byte w, ref sbyte x, ref float sx, ref float sums, int blocks)
        where TDot : struct, IQ4KChunkDot
    {
        Vector256<float> acc = Vector256<float>.Zero, min = acc;
        Vector256<float> dw = acc, dminw = acc;
        for (int b = 0; b < blocks; b++)
        {
            if (b % SuperBlockBlocks == 0) (dw, dminw) = Factors(ref w, b);
            ref byte rb = ref RecordOf(ref w, b);
            ref sbyte xb = ref Unsafe.Add(ref x, (nint)b * B);
            Prefetch(ref rb, PrefetchBytes);
            Vector256<int> low = Vector256<int>.Zero, high = low;
            for (int v = 0; v < CodeVectors; v++)
            {
                Vector256<byte> codes = Vector256.LoadUnsafe(ref rb, (nuint)(v * VectorBytes));
                low = TDot.Add(low, Low(codes), InterleavedTiles.Chunk(ref xb, v));
                high = TDot.Add(high, High(codes), InterleavedTiles.Chunk(ref xb, v + CodeVectors));
            }
            acc = Scale(acc, TDot.Finish(low) + TDot.Finish(high), Products(dw, ref rb, Q4KInterleavedWeight.ScalesOffset), Unsafe.Add(ref sx, b));
            min = Min(min, Products(dminw, ref rb, Q4KInterleavedWeight.MinsOffset), Unsafe.Add(ref sums, b));
        }
        return acc - min;
    }

    private static void Tile8x4<TDot>(ref byte w, ref sbyte x, ref float sx, ref float sums, int k, int blocks, nint ahead,
        out Vector256<float> y0, out Vector256<float> y1, out Vector256<float> y2, out Vector256<float> y3)
        where TDot : struct, IQ4KChunkDot
    {
        Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
        Vector256<float> m0 = a0, m1 = a0, m2 = a0, m3 = a0;
        ref sbyte x1 = ref Unsafe.Add(ref x, k);
        ref sbyte x2 = ref Unsafe.Add(ref x, 2 * k);
        ref sbyte x3 = ref Unsafe.Add(ref x, 3 * k);
        // Super-block by super-block (the last may be short), so a block's record is a running offset and the factors
        // load once per header with no division.
        for (int first = 0; first < blocks; first += SuperBlockBlocks)
        {
            var (dw, dminw) = Factors(ref w, first);
            ref byte records = ref RecordOf(ref w, first);
            int end = Math.Min(blocks, first + SuperBlockBlocks);
            for (int b = first; b < end; b++)
            {
                ref byte rb = ref Unsafe.Add(ref records, (nint)(b - first) * RecordBytes);
                nint xat = (nint)b * B;
                ref sbyte x0b = ref Unsafe.Add(ref x, xat);
                ref sbyte x1b = ref Unsafe.Add(ref x1, xat);
                ref sbyte x2b = ref Unsafe.Add(ref x2, xat);
                ref sbyte x3b = ref Unsafe.Add(ref x3, xat);
                // A tile over few tokens is still bound by the weight stream, as the GEMV is.
                Prefetch(ref rb, ahead);
                Vector256<int> d0 = Vector256<int>.Zero, d1 = d0, d2 = d0, d3 = d0, e0 = d0, e1 = d0, e2 = d0, e3 = d0;
                // The four code vectors unrolled, so every code and activation offset is a constant.
                CodeVector<TDot>(ref rb, 0, ref x0b, ref x1b, ref x2b, ref x3b, ref d0, ref d1, ref d2, ref d3, ref e0, ref e1, ref e2, ref e3);
                CodeVector<TDot>(ref rb, 1, ref x0b, ref x1b, ref x2b, ref x3b, ref d0, ref d1, ref d2, ref d3, ref e0, ref e1, ref e2, ref e3);
                CodeVector<TDot>(ref rb, 2, ref x0b, ref x1b, ref x2b, ref x3b, ref d0, ref d1, ref d2, ref d3, ref e0, ref e1, ref e2, ref e3);
                CodeVector<TDot>(ref rb, 3, ref x0b, ref x1b, ref x2b, ref x3b, ref d0, ref d1, ref d2, ref d3, ref e0, ref e1, ref e2, ref e3);
                Vector256<float> s = Products(dw, ref rb, Q4KInterleavedWeight.ScalesOffset);
                a0 = Scale(a0, TDot.Finish(d0) + TDot.Finish(e0), s, Unsafe.Add(ref sx, b));
                a1 = Scale(a1, TDot.Finish(d1) + TDot.Finish(e1), s, Unsafe.Add(ref sx, blocks + b));
                a2 = Scale(a2, TDot.Finish(d2) + TDot.Finish(e2), s, Unsafe.Add(ref sx, 2 * blocks + b));
                a3 = Scale(a3, TDot.Finish(d3) + TDot.Finish(e3), s, Unsafe.Add(ref sx, 3 * blocks + b));
                Vector256<float> m = Products(dminw, ref rb, Q4KInterleavedWeight.MinsOffset);
                m0 = Min(m0, m, Unsafe.Add(ref sums, b));
                m1 = Min(m1, m, Unsafe.Add(ref sums, blocks + b));
                m2 = Min(m2, m, Unsafe.Add(ref sums, 2 * blocks + b));
                m3 = Min(m3, m, Unsafe.Add(ref sums, 3 * blocks + b));
            }
        }
        y0 = a0 - m0;
        y1 = a1 - m1;
        y2 = a2 - m2;
        y3 = a3 - m3;
    }

    /// <summary>Code vector v of a block (chunks v and v + 4 of the 8 rows) against 4 tokens, low and high nibbles in their own states.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CodeVector<TDot>(ref byte rb, int v, ref sbyte x0b, ref sbyte x1b, ref sbyte x2b, ref sbyte x3b,
        ref Vector256<int> d0, ref Vector256<int> d1, ref Vector256<int> d2, ref Vector256<int> d3,
        ref Vector256<int> e0, ref Vector256<int> e1, ref Vector256<int> e2, ref Vector256<int> e3)
        where TDot : struct, IQ4KChunkDot
    {
        Vector256<byte> codes = Vector256.LoadUnsafe(ref rb, (nuint)(v * VectorBytes));
        Vector256<byte> low = Low(codes), high = High(codes);
        d0 = TDot.Add(d0, low, InterleavedTiles.Chunk(ref x0b, v));
        d1 = TDot.Add(d1, low, InterleavedTiles.Chunk(ref x1b, v));
        d2 = TDot.Add(d2, low, InterleavedTiles.Chunk(ref x2b, v));
        d3 = TDot.Add(d3, low, InterleavedTiles.Chunk(ref x3b, v));
        e0 = TDot.Add(e0, high, InterleavedTiles.Chunk(ref x0b, v + CodeVectors));
        e1 = TDot.Add(e1, high, InterleavedTiles.Chunk(ref x1b, v + CodeVectors));
        e2 = TDot.Add(e2, high, InterleavedTiles.Chunk(ref x2b, v + CodeVectors));
        e3 = TDot.Add(e3, high, InterleavedTiles.Chunk(ref x3b, v + CodeVectors));
    }

    /// <summary>The 8 rows' d and dmin from the header of the super-block that block <paramref name="b"/> opens.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float> D, Vector256<float> DMin) Factors(ref byte group, int b)
    {
        ref float header = ref Unsafe.As<byte, float>(ref Unsafe.Add(ref group, (nint)(b / SuperBlockBlocks) * SuperBlockBytes));
        return (Vector256.LoadUnsafe(ref header), Vector256.LoadUnsafe(ref header, Q4KInterleavedWeight.GroupRows));
    }
}
