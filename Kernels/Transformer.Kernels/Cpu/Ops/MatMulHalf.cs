using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Kernels.Tensors;

namespace Transformer.Kernels.Cpu.Ops;

/// <summary>
/// y[t, o] = Σ_k x[t, k] · W[o, k] for F16 or BF16 weights [out, in] held as raw 16-bit patterns:
/// each weight vector is widened to float32 in registers (BF16 by a 16-bit shift, F16 by exponent
/// rebiasing; both exact) and accumulated in float32 with fused multiply-add, with the same 4 × 4 /
/// 4 × 1 register tiling as <see cref="MatMulF32Tiled"/>. The spec is <see cref="Reference"/>.
/// </summary>
public static class MatMulHalf
{
    /// <summary>
    /// Rows [rowStart, rowEnd) of y [tokens, outFeatures] for all tokens; rows outside the range are
    /// not touched, so threads may fill disjoint ranges.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes do not match, the type is not F16/BF16, or the row range is outside the weight.</exception>
    /// <exception cref="PlatformNotSupportedException"><paramref name="isa"/> cannot run here.</exception>
    public static void ComputeRows(CpuIsa isa, DType type, ReadOnlySpan<float> x, int tokens, ReadOnlySpan<ushort> weight, int inFeatures,
        int outFeatures, Span<float> y, int rowStart, int rowEnd)
    {
        RequireHalf(type);
        if (inFeatures <= 0 || outFeatures <= 0 || tokens < 0)
            throw new ArgumentException($"{type} matmul shape: {tokens} tokens, weight [{outFeatures}, {inFeatures}]");
        if (x.Length != (long)tokens * inFeatures || weight.Length != (long)outFeatures * inFeatures || y.Length != (long)tokens * outFeatures)
            throw new ArgumentException($"{type} matmul: x holds {x.Length} (expected {(long)tokens * inFeatures}), weight {weight.Length} " +
                $"(expected {(long)outFeatures * inFeatures}), y {y.Length} (expected {(long)tokens * outFeatures})");
        if (rowStart < 0 || rowEnd > outFeatures || rowStart > rowEnd)
            throw new ArgumentOutOfRangeException(nameof(rowStart), $"row range [{rowStart}, {rowEnd}) is not within [0, {outFeatures})");
        CpuIsaSelection.Require(isa);
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref ushort wr = ref MemoryMarshal.GetReference(weight);
        ref float yr = ref MemoryMarshal.GetReference(y);
        bool bf16 = type == DType.BF16;
        switch (isa)
        {
            case CpuIsa.Scalar:
                ScalarRows(type, x, tokens, weight, inFeatures, outFeatures, y, rowStart, rowEnd);
                break;
            case CpuIsa.Avx512 when bf16:
                HalfTiled<Lanes512, Bf16Widen512, Vector512<float>>.ComputeRows(ref xr, tokens, ref wr, inFeatures, outFeatures, ref yr, rowStart, rowEnd);
                break;
            case CpuIsa.Avx512:
                HalfTiled<Lanes512, F16Widen512, Vector512<float>>.ComputeRows(ref xr, tokens, ref wr, inFeatures, outFeatures, ref yr, rowStart, rowEnd);
                break;
            case CpuIsa.Avx2 or CpuIsa.AvxVnni when bf16:
                HalfTiled<Lanes256, Bf16Widen256, Vector256<float>>.ComputeRows(ref xr, tokens, ref wr, inFeatures, outFeatures, ref yr, rowStart, rowEnd);
                break;
            case CpuIsa.Avx2 or CpuIsa.AvxVnni:
                HalfTiled<Lanes256, F16Widen256, Vector256<float>>.ComputeRows(ref xr, tokens, ref wr, inFeatures, outFeatures, ref yr, rowStart, rowEnd);
                break;
            case CpuIsa.Neon or CpuIsa.NeonDp when bf16:
                HalfTiled<Lanes128, Bf16Widen128, Vector128<float>>.ComputeRows(ref xr, tokens, ref wr, inFeatures, outFeatures, ref yr, rowStart, rowEnd);
                break;
            case CpuIsa.Neon or CpuIsa.NeonDp:
                HalfTiled<Lanes128, F16Widen128, Vector128<float>>.ComputeRows(ref xr, tokens, ref wr, inFeatures, outFeatures, ref yr, rowStart, rowEnd);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(isa), isa, "unknown ISA");
        }
    }

    /// <summary>Scalar reference: every weight widened by the exact scalar conversion, one float sum per output.</summary>
    public static void Reference(DType type, ReadOnlySpan<float> x, int tokens, ReadOnlySpan<ushort> weight, int inFeatures,
        int outFeatures, Span<float> y)
    {
        RequireHalf(type);
        ScalarRows(type, x, tokens, weight, inFeatures, outFeatures, y, 0, outFeatures);
    }

    /// <summary>The exact float32 value of one F16 or BF16 bit pattern.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Widen(DType type, ushort bits) =>
        type == DType.BF16 ? HalfScalar.Bf16(bits) : HalfScalar.F16(bits);

    /// <summary>Widens F16 or BF16 bit patterns to float32 (exact), vectorized.</summary>
    public static void Widen(DType type, ReadOnlySpan<ushort> source, Span<float> destination)
    {
        RequireHalf(type);
        if (type == DType.BF16) BFloat16Conversion.ToSingle(source, destination);
        else TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<ushort, Half>(source), destination);
    }

    private static void ScalarRows(DType type, ReadOnlySpan<float> x, int tokens, ReadOnlySpan<ushort> weight, int k, int n,
        Span<float> y, int rowStart, int rowEnd)
    {
        for (int t = 0; t < tokens; t++)
            for (int o = rowStart; o < rowEnd; o++)
            {
                float acc = 0;
                for (int i = 0; i < k; i++) acc += x[t * k + i] * Widen(type, weight[o * k + i]);
                y[t * n + o] = acc;
            }
    }

    private static void RequireHalf(DType type)
    {
        if (type is not (DType.F16 or DType.BF16))
            throw new ArgumentException($"a half-precision matmul takes F16 or BF16 weights, not {type}", nameof(type));
    }
}

/// <summary>The exact scalar widenings the vector ones must match.</summary>
internal static class HalfScalar
{
    /// <summary>bfloat16 is the high half of a binary32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Bf16(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>IEEE binary16 through the BCL's exact conversion.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float F16(ushort bits) => (float)BitConverter.UInt16BitsToHalf(bits);
}
