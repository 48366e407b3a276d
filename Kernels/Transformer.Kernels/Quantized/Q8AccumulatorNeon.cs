using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

namespace Transformer.Kernels.Quantized;

/// <summary>
/// Four float32 lanes with NEON fmla: the float side of the NEON and NEON-Dp paths, whose block
/// dots both end in four int32 lanes.
/// </summary>
internal readonly struct Q8AccumulatorNeon : IQ8Accumulator<Vector128<int>, Vector128<float>>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SumInt(Vector128<int> dot) => Vector128.Sum(dot);

    public static Vector128<float> Zero => Vector128<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplyAdd(Vector128<float> acc, Vector128<int> dot, float scale) =>
        AdvSimd.FusedMultiplyAdd(acc, AdvSimd.ConvertToSingle(dot), Vector128.Create(scale));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplyAdd(Vector128<float> acc, Vector128<int> dot, Vector128<float> scale) =>
        AdvSimd.FusedMultiplyAdd(acc, AdvSimd.ConvertToSingle(dot), scale);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Splat(float value) => Vector128.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> StepScales(ref float scales) => Splat(scales);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Multiply(Vector128<float> a, Vector128<float> b) => a * b;

    /// <summary>faddp adds adjacent lanes of its two operands: [a0+a1, a2+a3, b0+b1, b2+b3], then again across.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Sum4(Vector128<float> a, Vector128<float> b, Vector128<float> c, Vector128<float> d) =>
        AdvSimd.Arm64.AddPairwise(AdvSimd.Arm64.AddPairwise(a, b), AdvSimd.Arm64.AddPairwise(c, d));
}
