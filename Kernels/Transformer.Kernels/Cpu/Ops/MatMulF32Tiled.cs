using System.Runtime.Intrinsics;
using Transformer.Kernels.Cpu.Isa;

namespace Transformer.Kernels.Cpu.Ops;

/// <summary>
/// y[t, o] = Σ_k x[t, k] · W[o, k] for float32 weights [out, in], register-tiled: 4 weight rows ×
/// 4 tokens per tile so each weight vector loaded serves 4 tokens (prefill) and each activation
/// vector 4 rows; one token (decode) uses 4 × 1 tiles. Lanes: 512-bit on AVX-512, 256-bit on
/// AVX2/AVX-VNNI, 128-bit on NEON, with fused multiply-add. K tails shorter than a vector are
/// added in scalar code. The spec is <see cref="MatMulF32.Reference"/>; the driver is
/// <see cref="TiledMatMul"/>, shared with the 16-bit weights of <see cref="MatMulHalf"/>.
/// </summary>
public static class MatMulF32Tiled
{
    /// <summary>
    /// Rows [rowStart, rowEnd) of y [tokens, outFeatures] for all tokens; rows outside the range are
    /// not touched, so threads may fill disjoint ranges.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes do not match or the row range is outside the weight.</exception>
    /// <exception cref="PlatformNotSupportedException"><paramref name="isa"/> cannot run here.</exception>
    public static void ComputeRows(CpuIsa isa, ReadOnlySpan<float> x, int tokens, ReadOnlySpan<float> weight, int inFeatures,
        int outFeatures, Span<float> y, int rowStart, int rowEnd) =>
        TiledMatMul.ComputeRows<float, F32Element, F32Vector<Lanes512, Vector512<float>>, F32Vector<Lanes256, Vector256<float>>,
            F32Vector<Lanes128, Vector128<float>>>("f32", isa, x, tokens, weight, inFeatures, outFeatures, y, rowStart, rowEnd);
}
