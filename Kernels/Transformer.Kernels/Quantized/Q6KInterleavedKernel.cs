using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Transformer.Kernels.Cpu;

namespace Transformer.Kernels.Quantized;

/// <summary>
/// The Q6_K matmul on a <see cref="Q6KInterleavedWeight"/>: a tile is one group of 8 rows (one per int32 lane) × 4
/// tokens, or × 1 for the tail. Per block the 8 chunk vectors of codes are assembled once (an and, a shift and an or
/// each) and serve the tile's tokens; per token each chunk meets its 4-byte activation chunk as a broadcast, chunks 0–3
/// summing into the first sub-block's dot and 4–7 into the second, each scaled by its row's int8 scale with 32·Σx
/// times that scale taken off (the codes are q, the values q − 32): the block's exact integer dot, one row per lane,
/// converted and added by one FMA with d·sx. Each lane is
/// <see cref="Q6KReference.ComputeRowsFused"/> bit for bit, whichever tile, token count or row range.
/// </summary>
internal static class Q6KInterleavedKernel
{
    private const int B = Q8Format.BlockSize;
    private const int Rows = Q6KInterleavedWeight.GroupRows;
    private const int CodeBytes = Q6KInterleavedWeight.GroupBlockCodeBytes;
    private const int ScaleBytes = Q6KInterleavedWeight.GroupBlockScaleBytes;
    private const int ChunkBytes = Rows * Q6KInterleavedWeight.ChunkValues;
    private const int OffsetShift = 5; // 2⁵ = Q6KWeight.Offset, the codes' zero point

    // Code bytes ahead of the read position the stream prefetches: 8 blocks of a group (1.5 KB), as the int8
    // interleaved kernel's distance.
    private const int PrefetchBytes = 8 * CodeBytes;

    /// <summary>y[t, o] for rows [rowStart, rowEnd) and all tokens; shapes and ISA support are checked by the caller.</summary>
    public static void ComputeRows(Q8Activations x, Q6KInterleavedWeight w, Span<float> y, int rowStart, int rowEnd)
    {
        ref sbyte xq = ref MemoryMarshal.GetReference(x.Values);
        ref float xs = ref MemoryMarshal.GetReference(x.Scales);
        ref int xsum = ref MemoryMarshal.GetReference(x.SubBlockSums());
        ref byte wq = ref MemoryMarshal.GetReference(w.Codes);
        ref sbyte wsub = ref MemoryMarshal.GetReference(w.SubScales);
        ref float ws = ref MemoryMarshal.GetReference(w.Scales);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int k = w.InFeatures, n = w.OutFeatures, blocks = w.BlocksPerRow, superBlocks = w.SuperBlocksPerRow, tokens = x.Tokens;
        for (int g = rowStart / Rows; g * Rows < rowEnd; g++)
        {
            var group = new Group(
                ref Unsafe.Add(ref wq, (nint)g * blocks * CodeBytes),
                ref Unsafe.Add(ref wsub, (nint)g * blocks * ScaleBytes),
                ref Unsafe.Add(ref ws, (nint)g * superBlocks * Rows));
            int first = Math.Max(rowStart, g * Rows), end = Math.Min(rowEnd, (g + 1) * Rows);
            bool whole = first == g * Rows && end == (g + 1) * Rows;
            int t = 0;
            for (; t + 4 <= tokens; t += 4)
            {
                // As the int8 kernel: the tiles after the first find the group's codes cached and ask for the next group's.
                nint ahead = t == 0 ? PrefetchBytes : (nint)blocks * CodeBytes;
                Tile8x4(group, ref Unsafe.Add(ref xq, (nint)t * k), ref Unsafe.Add(ref xs, (nint)t * blocks),
                    ref Unsafe.Add(ref xsum, (nint)t * 2 * blocks), k, blocks, ahead, out var y0, out var y1, out var y2, out var y3);
                InterleavedTiles.Store(y0, ref yr, (nint)t * n, g, first, end, whole);
                InterleavedTiles.Store(y1, ref yr, (nint)(t + 1) * n, g, first, end, whole);
                InterleavedTiles.Store(y2, ref yr, (nint)(t + 2) * n, g, first, end, whole);
                InterleavedTiles.Store(y3, ref yr, (nint)(t + 3) * n, g, first, end, whole);
            }
            for (; t < tokens; t++)
                InterleavedTiles.Store(Tile8x1(group, ref Unsafe.Add(ref xq, (nint)t * k), ref Unsafe.Add(ref xs, (nint)t * blocks),
                    ref Unsafe.Add(ref xsum, (nint)t * 2 * blocks), blocks), ref yr, (nint)t * n, g, first, end, whole);
        }
    }

    /// <summary>Where one group's codes, sub-block scales and super-block scales start.</summary>
    private readonly ref struct Group(ref byte codes, ref sbyte subScales, ref float scales)
    {
        public readonly ref byte Codes = ref codes;
        public readonly ref sbyte SubScales = ref subScales;
        public readonly ref float Scales = ref scales;
    }

    /// <summary>Eight int8 scales sign-extended to the int32 lanes of their rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> SubScales(ref sbyte at) =>
        Avx2.ConvertToVector256Int32(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<long>(ref Unsafe.As<sbyte, byte>(ref at))).AsSByte());

    /// <summary>The codes of one group's block: chunk c of the 8 rows in vector c, values 0–63 in bytes.</summary>
    private readonly struct Codes
    {
        public readonly Vector256<byte> C0, C1, C2, C3, C4, C5, C6, C7;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Codes(ref byte block)
        {
            // 16-bit shifts move pairs across the bytes of a word; the masks keep only each byte's own bits.
            var nibble = Vector256.Create((byte)0x0F);
            var pair = Vector256.Create((byte)0x30);
            var n0 = Vector256.LoadUnsafe(ref block).AsUInt16();
            var n1 = Vector256.LoadUnsafe(ref block, ChunkBytes).AsUInt16();
            var n2 = Vector256.LoadUnsafe(ref block, 2 * ChunkBytes).AsUInt16();
            var n3 = Vector256.LoadUnsafe(ref block, 3 * ChunkBytes).AsUInt16();
            var h0 = Vector256.LoadUnsafe(ref block, 4 * ChunkBytes).AsUInt16();
            var h1 = Vector256.LoadUnsafe(ref block, 5 * ChunkBytes).AsUInt16();
            C0 = (n0.AsByte() & nibble) | ((h0 << 4).AsByte() & pair);
            C1 = (n1.AsByte() & nibble) | ((h0 << 2).AsByte() & pair);
            C2 = (n2.AsByte() & nibble) | (h0.AsByte() & pair);
            C3 = (n3.AsByte() & nibble) | ((h0 >> 2).AsByte() & pair);
            C4 = ((n0 >> 4).AsByte() & nibble) | ((h1 << 4).AsByte() & pair);
            C5 = ((n1 >> 4).AsByte() & nibble) | ((h1 << 2).AsByte() & pair);
            C6 = ((n2 >> 4).AsByte() & nibble) | (h1.AsByte() & pair);
            C7 = ((n3 >> 4).AsByte() & nibble) | ((h1 >> 2).AsByte() & pair);
        }
    }

    /// <summary>acc + float(dot) · (d · sx): the block's one rounding of the scale product and one fused add.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Scale(Vector256<float> acc, Vector256<int> dot, Vector256<float> d, float sx) =>
        Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), d * Vector256.Create(sx), acc);

    /// <summary>The 8 rows' d for block b: that of its super-block (stored once per 8 blocks, the file's granularity).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> SuperBlockScales(Group w, int b) =>
        Vector256.LoadUnsafe(ref Unsafe.Add(ref w.Scales, (nint)(b / Q6KInterleavedWeight.SuperBlockBlocks) * Rows));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Prefetch(ref byte block, nint ahead)
    {
        for (int line = 0; line < CodeBytes / 64; line++) CachePrefetch.Line(ref Unsafe.Add(ref block, ahead + 64 * line));
    }

    private static Vector256<float> Tile8x1(Group w, ref sbyte x, ref float sx, ref int sums, int blocks)
    {
        Vector256<float> acc = Vector256<float>.Zero;
        for (int b = 0; b < blocks; b++)
        {
            ref byte wb = ref Unsafe.Add(ref w.Codes, (nint)b * CodeBytes);
            Prefetch(ref wb, PrefetchBytes);
            var codes = new Codes(ref wb);
            ref sbyte sb = ref Unsafe.Add(ref w.SubScales, (nint)b * ScaleBytes);
            var scales = BlockDot.Scales(SubScales(ref sb), SubScales(ref Unsafe.Add(ref sb, Rows)));
            var dot = BlockDot.Dot(codes, scales, ref Unsafe.Add(ref x, (nint)b * B), ref Unsafe.Add(ref sums, 2 * b));
            acc = Scale(acc, dot, SuperBlockScales(w, b), Unsafe.Add(ref sx, b));
        }
        return acc;
    }

    private static void Tile8x4(Group w, ref sbyte x, ref float sx, ref int sums, int k, int blocks, nint ahead,
        out Vector256<float> y0, out Vector256<float> y1, out Vector256<float> y2, out Vector256<float> y3)
    {
        Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
        ref sbyte x1 = ref Unsafe.Add(ref x, k);
        ref sbyte x2 = ref Unsafe.Add(ref x, 2 * k);
        ref sbyte x3 = ref Unsafe.Add(ref x, 3 * k);
        int sumRow = 2 * blocks;
        for (int b = 0; b < blocks; b++)
        {
            ref byte wb = ref Unsafe.Add(ref w.Codes, (nint)b * CodeBytes);
            // A tile over few tokens is still bound by the weight stream, as the GEMV is.
            Prefetch(ref wb, ahead);
            var codes = new Codes(ref wb);
            ref sbyte sb = ref Unsafe.Add(ref w.SubScales, (nint)b * ScaleBytes);
            var scales = BlockDot.Scales(SubScales(ref sb), SubScales(ref Unsafe.Add(ref sb, Rows)));
            var d = SuperBlockScales(w, b);
            nint xat = (nint)b * B;
            a0 = Scale(a0, BlockDot.Dot(codes, scales, ref Unsafe.Add(ref x, xat), ref Unsafe.Add(ref sums, 2 * b)), d, Unsafe.Add(ref sx, b));
            a1 = Scale(a1, BlockDot.Dot(codes, scales, ref Unsafe.Add(ref x1, xat), ref Unsafe.Add(ref sums, sumRow + 2 * b)), d, Unsafe.Add(ref sx, blocks + b));
            a2 = Scale(a2, BlockDot.Dot(codes, scales, ref Unsafe.Add(ref x2, xat), ref Unsafe.Add(ref sums, 2 * sumRow + 2 * b)), d, Unsafe.Add(ref sx, 2 * blocks + b));
            a3 = Scale(a3, BlockDot.Dot(codes, scales, ref Unsafe.Add(ref x3, xat), ref Unsafe.Add(ref sums, 3 * sumRow + 2 * b)), d, Unsafe.Add(ref sx, 3 * blocks + b));
        }
        y0 = a0;
        y1 = a1;
        y2 = a2;
        y3 = a3;
    }

    /// <summary>The 8 rows' sub-block scales in the form <see cref="BlockDot"/> applies them (once per block and tile).</summary>
    private readonly struct BlockScales(Vector256<int> first, Vector256<int> second, Vector256<int> both)
    {
        public readonly Vector256<int> First = first, Second = second, Both = both;
    }

    /// <summary>
    /// One token's exact block dots, one row per lane: s_a·(Σ_a q·x − 32·Σ_a x) + s_b·(Σ_b q·x − 32·Σ_b x), codes
    /// against the token's 8 broadcast chunks. vpmaddubsw per chunk: its int16 pairs are at most 2·63·128 = 16 128 in magnitude, so two chunks' pairs add without
    /// saturating. vpmaddwd then widens them by the lane's scale instead of by ones (≤ 2·32 256·128 &lt; 2³¹), and one more
    /// vpmaddwd of the (s_a, s_b) pair against the token's (Σ_a x, Σ_b x) gives the offset, 32 times which is subtracted:
    /// no 32-bit multiply at all (so vpdpbusd, which would still need one per sub-block scale, is not used where it exists).
    /// </summary>
    private static class BlockDot
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static BlockScales Scales(Vector256<int> low, Vector256<int> high)
        {
            var lowHalf = Vector256.Create(0xFFFF);
            return new(low & lowHalf | low << 16, high & lowHalf | high << 16, low & lowHalf | high << 16);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Dot(in Codes w, in BlockScales s, ref sbyte x, ref int sums)
        {
            var a01 = Avx2.MultiplyAddAdjacent(w.C0, InterleavedTiles.Chunk(ref x, 0)) + Avx2.MultiplyAddAdjacent(w.C1, InterleavedTiles.Chunk(ref x, 1));
            var a23 = Avx2.MultiplyAddAdjacent(w.C2, InterleavedTiles.Chunk(ref x, 2)) + Avx2.MultiplyAddAdjacent(w.C3, InterleavedTiles.Chunk(ref x, 3));
            var b01 = Avx2.MultiplyAddAdjacent(w.C4, InterleavedTiles.Chunk(ref x, 4)) + Avx2.MultiplyAddAdjacent(w.C5, InterleavedTiles.Chunk(ref x, 5));
            var b23 = Avx2.MultiplyAddAdjacent(w.C6, InterleavedTiles.Chunk(ref x, 6)) + Avx2.MultiplyAddAdjacent(w.C7, InterleavedTiles.Chunk(ref x, 7));
            // Σ over 16 values ≤ 16·128 fits an int16 half each.
            var sumPair = Vector256.Create(sums & 0xFFFF | Unsafe.Add(ref sums, 1) << 16).AsInt16();
            var offset = Avx2.MultiplyAddAdjacent(s.Both.AsInt16(), sumPair);
            var dot = Avx2.MultiplyAddAdjacent(a01, s.First.AsInt16()) + Avx2.MultiplyAddAdjacent(a23, s.First.AsInt16())
                + Avx2.MultiplyAddAdjacent(b01, s.Second.AsInt16()) + Avx2.MultiplyAddAdjacent(b23, s.Second.AsInt16());
            return dot - (offset << OffsetShift);
        }
    }
}
