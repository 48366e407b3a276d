using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Transformer.Kernels.Cpu;

namespace Transformer.Kernels.Quantized;

/// <summary>
/// The int8 matmul on a <see cref="Q8InterleavedWeight"/>: a tile is one group of 8 rows (one per lane) × 4
/// tokens. Per block and chunk, one weight vector (prepared once by <typeparamref name="TDot"/>) serves the 4
/// tokens and each token's 4-byte chunk is a broadcast load, so a chunk's 32 products for 8 (row, token) pairs
/// take one vpdpbusd (<see cref="VnniChunkDot"/>) or vpsignb + vpmaddubsw + vpmaddwd (<see cref="SignedChunkDot"/>)
/// and never a horizontal sum; the block's int32 dots then take one convert, one scale product and one FMA per
/// 8 pairs. Each token's block dot runs as two chains, even and odd chunks, added once per block: integer sums, so
/// exact in any order. One chain (8 dependent vpdpbusd a block) left the 8×4 tile at ~190 GOP/s per core and the GEMV
/// at half that; two give 243 and 125 on an Emerald Rapids core, with the chunks unrolled so every x and w offset is a
/// constant. Each lane is one (row, token) result computed as acc = fma(float(dot_b), sw_b · sx_b, acc) in block
/// order, the arithmetic of <see cref="Q8Reference.ComputeRowsFused(Q8Activations, Q8Weight, Span{float}, int, int)"/>
/// bit for bit, whichever chunk dot, tile, token count or row range computed it.
/// </summary>
internal static class Q8InterleavedKernel<TDot, TW>
    where TDot : struct, IInterleavedChunkDot<TW>
    where TW : struct
{
    private const int B = Q8Format.BlockSize;
    private const int Rows = Q8InterleavedWeight.GroupRows;
    private const int GroupBlockBytes = Q8InterleavedWeight.GroupBlockBytes;
    private const int ChunkBytes = Rows * Q8InterleavedWeight.ChunkValues; // one vector: chunk c of 8 rows
    private const int Chunks = B / Q8InterleavedWeight.ChunkValues;

    // Weight bytes ahead of the read position the stream prefetches: 8 blocks of a group (2 KB), measured
    // like the row-major kernel's distance (a few KB in flight per core).
    private const int PrefetchBytes = 8 * GroupBlockBytes;

    /// <summary>Block b's starting dot for a token whose offset sums start at <paramref name="xo"/> (a JIT-time choice).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Start(ref int xo, nint b) => TDot.StartsFromOffset ? Vector256.Create(Unsafe.Add(ref xo, b)) : Vector256<int>.Zero;

    /// <summary>y[t, o] for rows [rowStart, rowEnd) and all tokens; shapes are checked by the caller.</summary>
    public static void ComputeRows(Q8Activations x, Q8InterleavedWeight w, Span<float> y, int rowStart, int rowEnd)
    {
        ref sbyte xq = ref MemoryMarshal.GetReference(x.Values);
        ref float xs = ref MemoryMarshal.GetReference(x.Scales);
        // Only vpdpbusd's unsigned operand needs the −128·Σx correction: the sums are computed once per matmul input,
        // before the workers share it, and only for that step (Start never reads them otherwise).
        ref int xo = ref TDot.StartsFromOffset ? ref MemoryMarshal.GetReference(x.OffsetSums()) : ref Unsafe.NullRef<int>();
        ref byte wq = ref MemoryMarshal.GetReference(w.Values);
        ref float ws = ref MemoryMarshal.GetReference(w.Scales);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int k = w.InFeatures, n = w.OutFeatures, blocks = w.BlocksPerRow, tokens = x.Tokens;
        for (int g = rowStart / Rows; g * Rows < rowEnd; g++)
        {
            ref byte wg = ref Unsafe.Add(ref wq, (nint)g * blocks * GroupBlockBytes);
            ref float sg = ref Unsafe.Add(ref ws, (nint)g * blocks * Rows);
            int first = Math.Max(rowStart, g * Rows), end = Math.Min(rowEnd, (g + 1) * Rows);
            bool whole = first == g * Rows && end == (g + 1) * Rows;
            int t = 0;
            for (; t + 4 <= tokens; t += 4)
            {
                // The first tile over a group streams it in, asking a little ahead; the others find it cached and ask
                // for the next group instead, which a tile computing from cache would otherwise wait for at the next g.
                nint ahead = t == 0 ? PrefetchBytes : (nint)blocks * GroupBlockBytes;
                Tile8x4(ref wg, ref sg, ref Unsafe.Add(ref xq, (nint)t * k), ref Unsafe.Add(ref xs, (nint)t * blocks),
                    ref Unsafe.Add(ref xo, (nint)t * blocks), k, blocks, ahead, out var y0, out var y1, out var y2, out var y3);
                InterleavedTiles.Store(y0, ref yr, (nint)t * n, g, first, end, whole);
                InterleavedTiles.Store(y1, ref yr, (nint)(t + 1) * n, g, first, end, whole);
                InterleavedTiles.Store(y2, ref yr, (nint)(t + 2) * n, g, first, end, whole);
                InterleavedTiles.Store(y3, ref yr, (nint)(t + 3) * n, g, first, end, whole);
            }
            for (; t < tokens; t++)
                InterleavedTiles.Store(Tile8x1(ref wg, ref sg, ref Unsafe.Add(ref xq, (nint)t * k), ref Unsafe.Add(ref xs, (nint)t * blocks),
                    ref Unsafe.Add(ref xo, (nint)t * blocks), blocks), ref yr, (nint)t * n, g, first, end, whole);
        }
    }

    /// <summary>acc + float(dot) · (sw · sx): the block's one rounding of the scale product and one fused add.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Scale(Vector256<float> acc, Vector256<int> dot, Vector256<float> sw, float sx) =>
        Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), sw * Vector256.Create(sx), acc);

    private static Vector256<float> Tile8x1(ref byte w, ref float sw, ref sbyte x, ref float sx, ref int xo, int blocks)
    {
        Vector256<float> acc = Vector256<float>.Zero;
        for (int b = 0; b < blocks; b++)
        {
            ref byte wb = ref Unsafe.Add(ref w, (nint)b * GroupBlockBytes);
            ref sbyte xb = ref Unsafe.Add(ref x, (nint)b * B);
            for (int line = 0; line < GroupBlockBytes / 64; line++) CachePrefetch.Line(ref Unsafe.Add(ref wb, PrefetchBytes + 64 * line));
            Vector256<int> even = Start(ref xo, b), odd = Vector256<int>.Zero;
            for (int c = 0; c < Chunks; c += 2)
            {
                even = TDot.Add(even, TDot.Prepare(Vector256.LoadUnsafe(ref wb, (nuint)(c * ChunkBytes))), InterleavedTiles.Chunk(ref xb, c));
                odd = TDot.Add(odd, TDot.Prepare(Vector256.LoadUnsafe(ref wb, (nuint)((c + 1) * ChunkBytes))), InterleavedTiles.Chunk(ref xb, c + 1));
            }
            acc = Scale(acc, even + odd, Vector256.LoadUnsafe(ref Unsafe.Add(ref sw, (nint)b * Rows)), Unsafe.Add(ref sx, b));
        }
        return acc;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ChunkPair(ref byte wb, ref sbyte x0b, ref sbyte x1b, ref sbyte x2b, ref sbyte x3b, int c,
        ref Vector256<int> d0, ref Vector256<int> d1, ref Vector256<int> d2, ref Vector256<int> d3,
        ref Vector256<int> e0, ref Vector256<int> e1, ref Vector256<int> e2, ref Vector256<int> e3)
    {
        TW wc = TDot.Prepare(Vector256.LoadUnsafe(ref wb, (nuint)(c * ChunkBytes)));
        d0 = TDot.Add(d0, wc, InterleavedTiles.Chunk(ref x0b, c));
        d1 = TDot.Add(d1, wc, InterleavedTiles.Chunk(ref x1b, c));
        d2 = TDot.Add(d2, wc, InterleavedTiles.Chunk(ref x2b, c));
        d3 = TDot.Add(d3, wc, InterleavedTiles.Chunk(ref x3b, c));
        TW wn = TDot.Prepare(Vector256.LoadUnsafe(ref wb, (nuint)((c + 1) * ChunkBytes)));
        e0 = TDot.Add(e0, wn, InterleavedTiles.Chunk(ref x0b, c + 1));
        e1 = TDot.Add(e1, wn, InterleavedTiles.Chunk(ref x1b, c + 1));
        e2 = TDot.Add(e2, wn, InterleavedTiles.Chunk(ref x2b, c + 1));
        e3 = TDot.Add(e3, wn, InterleavedTiles.Chunk(ref x3b, c + 1));
    }

    private static void Tile8x4(ref byte w, ref float sw, ref sbyte x, ref float sx, ref int xo, int k, int blocks, nint ahead,
        out Vector256<float> y0, out Vector256<float> y1, out Vector256<float> y2, out Vector256<float> y3)
    {
        Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
        ref sbyte x1 = ref Unsafe.Add(ref x, k);
        ref sbyte x2 = ref Unsafe.Add(ref x, 2 * k);
        ref sbyte x3 = ref Unsafe.Add(ref x, 3 * k);
        for (int b = 0; b < blocks; b++)
        {
            ref byte wb = ref Unsafe.Add(ref w, (nint)b * GroupBlockBytes);
            nint xat = (nint)b * B;
            ref sbyte x0b = ref Unsafe.Add(ref x, xat);
            ref sbyte x1b = ref Unsafe.Add(ref x1, xat);
            ref sbyte x2b = ref Unsafe.Add(ref x2, xat);
            ref sbyte x3b = ref Unsafe.Add(ref x3, xat);
            // A tile over few tokens is still bound by the weight stream, as the GEMV is.
            for (int line = 0; line < GroupBlockBytes / 64; line++) CachePrefetch.Line(ref Unsafe.Add(ref wb, ahead + 64 * line));
            Vector256<int> d0 = Start(ref xo, b), e0 = Vector256<int>.Zero;
            Vector256<int> d1 = Start(ref xo, blocks + b), e1 = Vector256<int>.Zero;
            Vector256<int> d2 = Start(ref xo, 2 * blocks + b), e2 = Vector256<int>.Zero;
            Vector256<int> d3 = Start(ref xo, 3 * blocks + b), e3 = Vector256<int>.Zero;
            ChunkPair(ref wb, ref x0b, ref x1b, ref x2b, ref x3b, 0, ref d0, ref d1, ref d2, ref d3, ref e0, ref e1, ref e2, ref e3);
            ChunkPair(ref wb, ref x0b, ref x1b, ref x2b, ref x3b, 2, ref d0, ref d1, ref d2, ref d3, ref e0, ref e1, ref e2, ref e3);
            ChunkPair(ref wb, ref x0b, ref x1b, ref x2b, ref x3b, 4, ref d0, ref d1, ref d2, ref d3, ref e0, ref e1, ref e2, ref e3);
            ChunkPair(ref wb, ref x0b, ref x1b, ref x2b, ref x3b, 6, ref d0, ref d1, ref d2, ref d3, ref e0, ref e1, ref e2, ref e3);
            Vector256<float> s = Vector256.LoadUnsafe(ref Unsafe.Add(ref sw, (nint)b * Rows));
            a0 = Scale(a0, d0 + e0, s, Unsafe.Add(ref sx, b));
            a1 = Scale(a1, d1 + e1, s, Unsafe.Add(ref sx, blocks + b));
            a2 = Scale(a2, d2 + e2, s, Unsafe.Add(ref sx, 2 * blocks + b));
            a3 = Scale(a3, d3 + e3, s, Unsafe.Add(ref sx, 3 * blocks + b));
        }
        y0 = a0;
        y1 = a1;
        y2 = a2;
        y3 = a3;
    }
}
