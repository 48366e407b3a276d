using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Transformer.Kernels.Cpu.Isa;

namespace Transformer.Kernels.Quantized;

// Each path is its ISA's 4-bit block dot (unpack, then the int8 dot) with the float accumulator of the same width.
using Avx512Q4Tiled = Q8Tiled<Avx512Q4BlockDot, Q8Accumulator512, Vector512<short>, Vector512<short>, Vector512<int>, Vector512<float>>;
using AvxVnniQ4Tiled = Q8Tiled<AvxVnniQ4BlockDot, Q8Accumulator256, SignSplit256, Vector256<sbyte>, Vector256<int>, Vector256<float>>;
using Avx2Q4Tiled = Q8Tiled<Avx2Q4BlockDot, Q8Accumulator256, SignSplit256, Vector256<sbyte>, Vector256<int>, Vector256<float>>;
using NeonDpQ4Tiled = Q8Tiled<NeonDpQ4BlockDot, Q8AccumulatorNeon, Block128x2, Block128x2, Vector128<int>, Vector128<float>>;
using NeonQ4Tiled = Q8Tiled<NeonQ4BlockDot, Q8AccumulatorNeon, Block128x2, Block128x2, Vector128<int>, Vector128<float>>;

/// <summary>
/// y = x · Wᵀ with 4-bit weights (<see cref="Q4Weight"/>, as stored in a Q4_0 file) and Q8 activations: the int8
/// matmul's register tiles, reading half the weight bytes and unpacking each block in registers. Decode reads
/// weights once per token, so it is bound by their bytes: 4.5 bits a weight against Q8's 9.
/// </summary>
public static class Q4MatMul
{
    /// <summary>
    /// y[t, o] for output rows [rowStart, rowEnd) and every token t of <paramref name="x"/>; <paramref name="y"/>
    /// is [x.Tokens, w.OutFeatures] row-major. Rows outside the range are not touched.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes do not match or the row range is outside the weight.</exception>
    /// <exception cref="PlatformNotSupportedException"><paramref name="isa"/> cannot run here.</exception>
    public static void ComputeRows(CpuIsa isa, Q8Activations x, Q4Weight w, Span<float> y, int rowStart, int rowEnd)
    {
        Q8MatMul.CheckShapes(x, w.OutFeatures, w.InFeatures, y, rowStart, rowEnd);
        if (isa == CpuIsa.Scalar)
        {
            Q4Reference.ComputeRows(x, w, y, rowStart, rowEnd);
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
            case CpuIsa.Avx512: Avx512Q4Tiled.ComputeRows(ref xq, ref xs, tokens, ref wq, ref ws, k, n, ref yr, rowStart, rowEnd); break;
            case CpuIsa.AvxVnni: AvxVnniQ4Tiled.ComputeRows(ref xq, ref xs, tokens, ref wq, ref ws, k, n, ref yr, rowStart, rowEnd); break;
            case CpuIsa.Avx2: Avx2Q4Tiled.ComputeRows(ref xq, ref xs, tokens, ref wq, ref ws, k, n, ref yr, rowStart, rowEnd); break;
            case CpuIsa.NeonDp: NeonDpQ4Tiled.ComputeRows(ref xq, ref xs, tokens, ref wq, ref ws, k, n, ref yr, rowStart, rowEnd); break;
            case CpuIsa.Neon: NeonQ4Tiled.ComputeRows(ref xq, ref xs, tokens, ref wq, ref ws, k, n, ref yr, rowStart, rowEnd); break;
            default: throw new ArgumentOutOfRangeException(nameof(isa), isa, "unknown ISA");
        }
    }

    /// <summary>All output rows on the calling thread.</summary>
    public static void Compute(CpuIsa isa, Q8Activations x, Q4Weight w, Span<float> y) => ComputeRows(isa, x, w, y, 0, w.OutFeatures);

    /// <summary>
    /// The integer dot of one block (16 code bytes against 32 int8 activations) computed with <paramref name="isa"/>'s
    /// instructions, exposed so tests can hold every path to <see cref="Q4Reference.BlockDot"/> exactly.
    /// </summary>
    public static int BlockDot(CpuIsa isa, ReadOnlySpan<byte> codes, ReadOnlySpan<sbyte> x)
    {
        if (isa == CpuIsa.Scalar) return Q4Reference.BlockDot(codes, x);
        if (codes.Length != Q4Weight.BlockBytes || x.Length != Q8Format.BlockSize)
            throw new ArgumentException($"a Q4 block is {Q4Weight.BlockBytes} code bytes against {Q8Format.BlockSize} activations, got {codes.Length} and {x.Length}");
        CpuIsaSelection.Require(isa);
        ref sbyte wr = ref Unsafe.As<byte, sbyte>(ref MemoryMarshal.GetReference(codes));
        ref sbyte xr = ref MemoryMarshal.GetReference(x);
        return isa switch
        {
            CpuIsa.Avx512 => Avx512Q4Tiled.BlockDot(ref wr, ref xr),
            CpuIsa.AvxVnni => AvxVnniQ4Tiled.BlockDot(ref wr, ref xr),
            CpuIsa.Avx2 => Avx2Q4Tiled.BlockDot(ref wr, ref xr),
            CpuIsa.NeonDp => NeonDpQ4Tiled.BlockDot(ref wr, ref xr),
            CpuIsa.Neon => NeonQ4Tiled.BlockDot(ref wr, ref xr),
            _ => throw new ArgumentOutOfRangeException(nameof(isa), isa, "unknown ISA"),
        };
    }
}
