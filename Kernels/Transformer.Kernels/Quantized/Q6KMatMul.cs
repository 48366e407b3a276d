using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Transformer.Kernels.Cpu.Isa;

namespace Transformer.Kernels.Quantized;

using Avx512Q6KTiled = Q8Tiled<Avx512Q6KBlockDot, Q8Accumulator512, Vector512<short>, Vector512<short>, Vector512<int>, Vector512<float>>;
using AvxVnniQ6KTiled = Q8Tiled<AvxVnniQ6KBlockDot, Q8Accumulator256, Q6KWeights256, Vector256<sbyte>, Vector256<int>, Vector256<float>>;
using Avx2Q6KTiled = Q8Tiled<Avx2Q6KBlockDot, Q8Accumulator256, Q6KWeights256, Vector256<sbyte>, Vector256<int>, Vector256<float>>;
using NeonDpQ6KTiled = Q8Tiled<NeonDpQ6KBlockDot, Q8AccumulatorNeon, Q6KWeights128, Block128x2, Vector128<int>, Vector128<float>>;
using NeonQ6KTiled = Q8Tiled<NeonQ6KBlockDot, Q8AccumulatorNeon, Q6KWeights128, Block128x2, Vector128<int>, Vector128<float>>;

/// <summary>
/// y = x · Wᵀ with Q6_K weights (<see cref="Q6KWeight"/>) and Q8 activations: the int8 driver's register tiles, each
/// block's 6-bit values unpacked in registers and its two sub-block scales applied inside the exact integer dot, then
/// scaled by d·sx as a Q8 block is. Activations are our blocks of 32 (why, see <see cref="Q4KMatMul"/>): a block
/// covers exactly two Q6_K sub-blocks of 16, so per-16 activation sums are not needed at all. On x86 the backend
/// repacks instead (<see cref="Q6KInterleavedWeight"/>, <see cref="Interleaves"/>): 8 rows per vector, one per lane, with
/// unsigned codes whose −32 offset is taken off through per-16 activation sums.
/// </summary>
public static class Q6KMatMul
{
    /// <summary>y[t, o] for rows [rowStart, rowEnd) and every token; y is [x.Tokens, w.OutFeatures].</summary>
    /// <exception cref="ArgumentException">Shapes do not match or the row range is outside the weight.</exception>
    /// <exception cref="PlatformNotSupportedException"><paramref name="isa"/> cannot run here.</exception>
    public static void ComputeRows(CpuIsa isa, Q8Activations x, Q6KWeight w, Span<float> y, int rowStart, int rowEnd)
    {
        Q8MatMul.CheckShapes(x, w.OutFeatures, w.InFeatures, y, rowStart, rowEnd);
        if (isa == CpuIsa.Scalar)
        {
            Q6KReference.ComputeRows(x, w, y, rowStart, rowEnd);
            return;
        }
        CpuIsaSelection.Require(isa);
        ref sbyte xq = ref MemoryMarshal.GetReference(x.Values);
        ref float xs = ref MemoryMarshal.GetReference(x.Scales);
        ref sbyte wq = ref MemoryMarshal.GetReference(w.BlockBytesSigned);
        ref float ws = ref MemoryMarshal.GetReference(w.Scales);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int k = w.InFeatures, n = w.OutFeatures, tokens = x.Tokens;
        switch (isa)
        {
            case CpuIsa.Avx512: Avx512Q6KTiled.ComputeRows(ref xq, ref xs, tokens, ref wq, ref ws, k, n, ref yr, rowStart, rowEnd); break;
            case CpuIsa.AvxVnni: AvxVnniQ6KTiled.ComputeRows(ref xq, ref xs, tokens, ref wq, ref ws, k, n, ref yr, rowStart, rowEnd); break;
            case CpuIsa.Avx2: Avx2Q6KTiled.ComputeRows(ref xq, ref xs, tokens, ref wq, ref ws, k, n, ref yr, rowStart, rowEnd); break;
            case CpuIsa.NeonDp: NeonDpQ6KTiled.ComputeRows(ref xq, ref xs, tokens, ref wq, ref ws, k, n, ref yr, rowStart, rowEnd); break;
            case CpuIsa.Neon: NeonQ6KTiled.ComputeRows(ref xq, ref xs, tokens, ref wq, ref ws, k, n, ref yr, rowStart, rowEnd); break;
            default: throw new ArgumentOutOfRangeException(nameof(isa), isa, "unknown ISA");
        }
    }

    /// <summary>
    /// Whether <paramref name="isa"/>'s Q6_K matmul runs on a <see cref="Q6KInterleavedWeight"/>: every x86 path (the
    /// row-interleaved kernel needs only AVX2 and FMA: its vpmaddubsw + vpmaddwd step folds in the sub-block scales, which
    /// vpdpbusd would not spare). NEON and scalar
    /// keep the row-major <see cref="Q6KWeight"/>.
    /// </summary>
    public static bool Interleaves(CpuIsa isa) => isa is CpuIsa.Avx2 or CpuIsa.AvxVnni or CpuIsa.Avx512;

    /// <summary>
    /// <see cref="ComputeRows(CpuIsa, Q8Activations, Q6KWeight, Span{float}, int, int)"/> on a repacked weight:
    /// <see cref="CpuIsa.Scalar"/> runs its specification <see cref="Q6KReference.ComputeRowsFused"/>, and the ISAs for
    /// which <see cref="Interleaves"/> holds the row-interleaved kernel, equal to it bit for bit.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes do not match or the row range is outside the weight.</exception>
    /// <exception cref="PlatformNotSupportedException"><paramref name="isa"/> cannot run here or has no interleaved kernel.</exception>
    public static void ComputeRows(CpuIsa isa, Q8Activations x, Q6KInterleavedWeight w, Span<float> y, int rowStart, int rowEnd)
    {
        Q8MatMul.CheckShapes(x, w.OutFeatures, w.InFeatures, y, rowStart, rowEnd);
        if (isa == CpuIsa.Scalar)
        {
            Q6KReference.ComputeRowsFused(x, w, y, rowStart, rowEnd);
            return;
        }
        CpuIsaSelection.Require(isa);
        if (!Interleaves(isa))
            throw new PlatformNotSupportedException($"the {isa} Q6_K path has no row-interleaved kernel (it reads the row-major Q6KWeight)");
        Q6KInterleavedKernel.ComputeRows(x, w, y, rowStart, rowEnd);
    }

    /// <summary>All output rows on the calling thread.</summary>
    public static void Compute(CpuIsa isa, Q8Activations x, Q6KWeight w, Span<float> y) => ComputeRows(isa, x, w, y, 0, w.OutFeatures);

    /// <summary>One block's scaled integer dot (26 bytes against 32 int8 activations) through <paramref name="isa"/>'s instructions.</summary>
    public static int BlockDot(CpuIsa isa, ReadOnlySpan<byte> block, ReadOnlySpan<sbyte> x)
    {
        if (isa == CpuIsa.Scalar) return Q6KReference.BlockDot(block, x);
        if (block.Length != Q6KWeight.BlockBytes || x.Length != Q8Format.BlockSize)
            throw new ArgumentException($"a Q6_K block is {Q6KWeight.BlockBytes} bytes against {Q8Format.BlockSize} activations, got {block.Length} and {x.Length}");
        CpuIsaSelection.Require(isa);
        ref sbyte wr = ref Unsafe.As<byte, sbyte>(ref MemoryMarshal.GetReference(block));
        ref sbyte xr = ref MemoryMarshal.GetReference(x);
        return isa switch
        {
            CpuIsa.Avx512 => Avx512Q6KTiled.BlockDot(ref wr, ref xr),
            CpuIsa.AvxVnni => AvxVnniQ6KTiled.BlockDot(ref wr, ref xr),
            CpuIsa.Avx2 => Avx2Q6KTiled.BlockDot(ref wr, ref xr),
            CpuIsa.NeonDp => NeonDpQ6KTiled.BlockDot(ref wr, ref xr),
            CpuIsa.Neon => NeonQ6KTiled.BlockDot(ref wr, ref xr),
            _ => throw new ArgumentOutOfRangeException(nameof(isa), isa, "unknown ISA"),
        };
    }
}
