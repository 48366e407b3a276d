using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Transformer.Kernels.Cpu.Isa;

namespace Transformer.Kernels.Quantized;

using Avx512Q4KTiled = Q8Tiled<Avx512Q4KBlockDot, Q8Accumulator512, Vector512<short>, Vector512<short>, Vector512<int>, Vector512<float>>;
using AvxVnniQ4KTiled = Q8Tiled<AvxVnniQ4KBlockDot, Q8Accumulator256, Vector256<byte>, Vector256<sbyte>, Vector256<int>, Vector256<float>>;
using Avx2Q4KTiled = Q8Tiled<Avx2Q4KBlockDot, Q8Accumulator256, Vector256<byte>, Vector256<sbyte>, Vector256<int>, Vector256<float>>;
using NeonDpQ4KTiled = Q8Tiled<NeonDpQ4KBlockDot, Q8AccumulatorNeon, Block128x2, Block128x2, Vector128<int>, Vector128<float>>;
using NeonQ4KTiled = Q8Tiled<NeonQ4KBlockDot, Q8AccumulatorNeon, Block128x2, Block128x2, Vector128<int>, Vector128<float>>;

/// <summary>
/// y = x · Wᵀ with Q4_K weights (<see cref="Q4KWeight"/>) and Q8 activations: the int8 driver's register tiles on the
/// unsigned codes and block scales d·s, then each (token, row)'s minimums part Σ_b (dmin·m)_b·(sx·Σx)_b subtracted.
/// On x86 a backend repacks the weight instead (<see cref="Interleaves"/>, <see cref="Q4KInterleavedWeight"/>): 8 rows
/// per vector, one row per int32 lane, so no horizontal sums and the minimums folded into the same pass.
/// </summary>
/// <remarks>
/// Activations: our Q8 blocks of 32 rather than ggml's Q8_K (blocks of 256 with sums per 16). A Q4_K sub-block is 32
/// values, so each of our blocks meets exactly one sub-block scale and minimum, and the block sums its minimum needs
/// are computed once per matmul input (<see cref="Q8Activations.ScaledSums"/>) as ggml's per-16 sums are. It is at
/// least as accurate (a scale per 32 activations instead of per 256: smaller rounding steps where a token's
/// magnitudes vary), it is the one quantization shared by every weight of a matmul whatever its format (Q, K, V may
/// be Q4_K and Q6_K side by side), and the extra float work (one FMA per 32 values for the scale, one per 32 for the
/// minimum) is small next to the weight bytes decode is bound by.
/// </remarks>
public static class Q4KMatMul
{
    /// <summary>
    /// y[t, o] for rows [rowStart, rowEnd) and every token; y is [x.Tokens, w.OutFeatures]. Reads
    /// <see cref="Q8Activations.ScaledSums"/>: when rows are split over threads, call that once before dispatching.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes do not match or the row range is outside the weight.</exception>
    /// <exception cref="PlatformNotSupportedException"><paramref name="isa"/> cannot run here.</exception>
    public static void ComputeRows(CpuIsa isa, Q8Activations x, Q4KWeight w, Span<float> y, int rowStart, int rowEnd)
    {
        Q8MatMul.CheckShapes(x, w.OutFeatures, w.InFeatures, y, rowStart, rowEnd);
        if (isa == CpuIsa.Scalar)
        {
            Q4KReference.ComputeRows(x, w, y, rowStart, rowEnd);
            return;
        }
        CpuIsaSelection.Require(isa);
        ref sbyte xq = ref MemoryMarshal.GetReference(x.Values);
        ref float xs = ref MemoryMarshal.GetReference(x.Scales);
        ref sbyte wq = ref MemoryMarshal.GetReference(w.CodeBytes);
        ref float ws = ref MemoryMarshal.GetReference(w.Scales);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int k = w.InFeatures, n = w.OutFeatures, tokens = x.Tokens;
        switch (isa)
        {
            case CpuIsa.Avx512: Avx512Q4KTiled.ComputeRows(ref xq, ref xs, tokens, ref wq, ref ws, k, n, ref yr, rowStart, rowEnd); break;
            case CpuIsa.AvxVnni: AvxVnniQ4KTiled.ComputeRows(ref xq, ref xs, tokens, ref wq, ref ws, k, n, ref yr, rowStart, rowEnd); break;
            case CpuIsa.Avx2: Avx2Q4KTiled.ComputeRows(ref xq, ref xs, tokens, ref wq, ref ws, k, n, ref yr, rowStart, rowEnd); break;
            case CpuIsa.NeonDp: NeonDpQ4KTiled.ComputeRows(ref xq, ref xs, tokens, ref wq, ref ws, k, n, ref yr, rowStart, rowEnd); break;
            case CpuIsa.Neon: NeonQ4KTiled.ComputeRows(ref xq, ref xs, tokens, ref wq, ref ws, k, n, ref yr, rowStart, rowEnd); break;
            default: throw new ArgumentOutOfRangeException(nameof(isa), isa, "unknown ISA");
        }
        SubtractMins(x.ScaledSums(), w.Mins, w.BlocksPerRow, tokens, n, y, rowStart, rowEnd);
    }

    /// <summary>
    /// Whether <paramref name="isa"/>'s Q4_K matmul runs on a <see cref="Q4KInterleavedWeight"/>: the x86 paths, all of
    /// which have 256-bit vectors of 8 int32 row lanes. NEON keeps the row-major <see cref="Q4KWeight"/>.
    /// </summary>
    public static bool Interleaves(CpuIsa isa) => isa is CpuIsa.Avx2 or CpuIsa.AvxVnni or CpuIsa.Avx512;

    /// <summary>
    /// Whether <paramref name="isa"/>'s interleaved kernel multiplies with vpdpbusd (<see cref="Q4KVpdpbusdChunkDot"/>) rather
    /// than vpmaddubsw (<see cref="Q4KMaddubsChunkDot"/>): the int8 repack's rule, <see cref="InterleavedTiles.UsesVpdpbusd"/>.
    /// </summary>
    public static bool UsesVpdpbusd(CpuIsa isa) => InterleavedTiles.UsesVpdpbusd(isa);

    /// <summary>
    /// <see cref="ComputeRows(CpuIsa, Q8Activations, Q4KWeight, Span{float}, int, int)"/> on a repacked weight:
    /// <see cref="CpuIsa.Scalar"/> runs its specification <see cref="Q4KReference.ComputeRowsFused"/>, and the ISAs for
    /// which <see cref="Interleaves"/> holds the interleaved kernel, equal to it bit for bit.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes do not match or the row range is outside the weight.</exception>
    /// <exception cref="PlatformNotSupportedException"><paramref name="isa"/> has no interleaved kernel or cannot run here.</exception>
    public static void ComputeRows(CpuIsa isa, Q8Activations x, Q4KInterleavedWeight w, Span<float> y, int rowStart, int rowEnd)
    {
        Q8MatMul.CheckShapes(x, w.OutFeatures, w.InFeatures, y, rowStart, rowEnd);
        if (isa == CpuIsa.Scalar)
        {
            Q4KReference.ComputeRowsFused(x, w, y, rowStart, rowEnd);
            return;
        }
        if (!Interleaves(isa))
            throw new PlatformNotSupportedException($"the {isa} Q4_K path has no row-interleaved kernel (it runs on the row-major Q4KWeight)");
        CpuIsaSelection.Require(isa);
        if (UsesVpdpbusd(isa)) Q4KInterleavedKernel.ComputeRows<Q4KVpdpbusdChunkDot>(x, w, y, rowStart, rowEnd);
        else Q4KInterleavedKernel.ComputeRows<Q4KMaddubsChunkDot>(x, w, y, rowStart, rowEnd);
    }

    /// <summary>All output rows on the calling thread.</summary>
    public static void Compute(CpuIsa isa, Q8Activations x, Q4KWeight w, Span<float> y) => ComputeRows(isa, x, w, y, 0, w.OutFeatures);

    /// <summary>
    /// y[t, o] −= Σ_b mins[o, b]·sums[t, b], four lanes at a time then a fixed lane order and the tail in block order,
    /// so every tile shape and thread split gives the same bits (128-bit vectors exist on every path).
    /// </summary>
    private static void SubtractMins(ReadOnlySpan<float> sums, ReadOnlySpan<float> mins, int blocks, int tokens, int n, Span<float> y, int rowStart, int rowEnd)
    {
        ref float s0 = ref MemoryMarshal.GetReference(sums);
        ref float m0 = ref MemoryMarshal.GetReference(mins);
        for (int t = 0; t < tokens; t++)
        {
            ref float st = ref Unsafe.Add(ref s0, (nint)t * blocks);
            for (int o = rowStart; o < rowEnd; o++)
            {
                ref float mo = ref Unsafe.Add(ref m0, (nint)o * blocks);
                var acc = Vector128<float>.Zero;
                int b = 0;
                for (; b + 4 <= blocks; b += 4)
                    acc += Vector128.LoadUnsafe(ref mo, (nuint)b) * Vector128.LoadUnsafe(ref st, (nuint)b);
                float sum = (acc.GetElement(0) + acc.GetElement(1)) + (acc.GetElement(2) + acc.GetElement(3));
                for (; b < blocks; b++) sum += Unsafe.Add(ref mo, b) * Unsafe.Add(ref st, b);
                y[t * n + o] -= sum;
            }
        }
    }

    /// <summary>One block's integer dot (16 code bytes against 32 int8 activations) through <paramref name="isa"/>'s instructions.</summary>
    public static int BlockDot(CpuIsa isa, ReadOnlySpan<byte> codes, ReadOnlySpan<sbyte> x)
    {
        if (isa == CpuIsa.Scalar) return Q4KReference.BlockDot(codes, x);
        if (codes.Length != Q4KWeight.BlockBytes || x.Length != Q8Format.BlockSize)
            throw new ArgumentException($"a Q4_K block is {Q4KWeight.BlockBytes} code bytes against {Q8Format.BlockSize} activations, got {codes.Length} and {x.Length}");
        CpuIsaSelection.Require(isa);
        ref sbyte wr = ref Unsafe.As<byte, sbyte>(ref MemoryMarshal.GetReference(codes));
        ref sbyte xr = ref MemoryMarshal.GetReference(x);
        return isa switch
        {
            CpuIsa.Avx512 => Avx512Q4KTiled.BlockDot(ref wr, ref xr),
            CpuIsa.AvxVnni => AvxVnniQ4KTiled.BlockDot(ref wr, ref xr),
            CpuIsa.Avx2 => Avx2Q4KTiled.BlockDot(ref wr, ref xr),
            CpuIsa.NeonDp => NeonDpQ4KTiled.BlockDot(ref wr, ref xr),
            CpuIsa.Neon => NeonQ4KTiled.BlockDot(ref wr, ref xr),
            _ => throw new ArgumentOutOfRangeException(nameof(isa), isa, "unknown ISA"),
        };
    }
}
