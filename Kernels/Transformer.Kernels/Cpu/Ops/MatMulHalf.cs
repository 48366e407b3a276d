using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Kernels.Tensors;

namespace Transformer.Kernels.Cpu.Ops;

/// <summary>
/// y[t, o] = Σ_k x[t, k] · W[o, k] for F16 or BF16 weights [out, in] held as raw 16-bit patterns:
/// each weight vector is widened to float32 in registers (BF16 by a 16-bit shift, F16 by exponent
/// rebiasing; both exact) and accumulated in float32 with fused multiply-add, by the same tiled
/// driver as <see cref="MatMulF32Tiled"/> (<see cref="TiledMatMul"/>). The spec is <see cref="Reference"/>.
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
        if (RequireHalf(type) == DType.BF16)
            ComputeRows<Bf16Format>("BF16", isa, x, tokens, weight, inFeatures, outFeatures, y, rowStart, rowEnd);
        else
            ComputeRows<F16Format>("F16", isa, x, tokens, weight, inFeatures, outFeatures, y, rowStart, rowEnd);
    }

    /// <summary>Scalar reference: every weight widened by the exact scalar conversion, one float sum per output.</summary>
    public static void Reference(DType type, ReadOnlySpan<float> x, int tokens, ReadOnlySpan<ushort> weight, int inFeatures,
        int outFeatures, Span<float> y) =>
        ComputeRows(CpuIsa.Scalar, type, x, tokens, weight, inFeatures, outFeatures, y, 0, outFeatures);

    /// <summary>The exact float32 value of one F16 or BF16 bit pattern.</summary>
    public static float Widen(DType type, ushort bits) =>
        RequireHalf(type) == DType.BF16 ? Bf16Format.ToSingle(bits) : F16Format.ToSingle(bits);

    /// <summary>Widens F16 or BF16 bit patterns to float32 (exact), vectorized.</summary>
    public static void Widen(DType type, ReadOnlySpan<ushort> source, Span<float> destination)
    {
        if (RequireHalf(type) == DType.BF16) BFloat16Conversion.ToSingle(source, destination);
        else TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<ushort, Half>(source), destination);
    }

    private static void ComputeRows<TFormat>(string what, CpuIsa isa, ReadOnlySpan<float> x, int tokens, ReadOnlySpan<ushort> weight,
        int inFeatures, int outFeatures, Span<float> y, int rowStart, int rowEnd) where TFormat : struct, IHalfFormat =>
        TiledMatMul.ComputeRows<ushort, TFormat, HalfVector512<TFormat>, HalfVector256<TFormat>, HalfVector128<TFormat>>(
            what, isa, x, tokens, weight, inFeatures, outFeatures, y, rowStart, rowEnd);

    private static DType RequireHalf(DType type) => type is DType.F16 or DType.BF16
        ? type
        : throw new ArgumentException($"a half-precision matmul takes F16 or BF16 weights, not {type}", nameof(type));
}
