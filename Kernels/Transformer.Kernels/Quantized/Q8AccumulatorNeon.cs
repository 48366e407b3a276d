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
    public static Vector128<float> Multiply(Vector128<float> a, Vector128<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SumFloat(Vector128<float> acc) => Vector128.Sum(acc);
}
