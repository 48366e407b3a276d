using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Transformer.Kernels.Quantized;

/// <summary>
/// Eight float32 lanes with FMA (vcvtdq2ps + vfmadd): the float side of the AVX2 and AVX-VNNI paths,
/// whose block dots both end in eight int32 lanes.
/// </summary>
internal readonly struct Q8Accumulator256 : IQ8Accumulator<Vector256<int>, Vector256<float>>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SumInt(Vector256<int> dot) => Vector256.Sum(dot);

    public static Vector256<float> Zero => Vector256<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> acc, Vector256<int> dot, float scale) =>
        Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), Vector256.Create(scale), acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> acc, Vector256<int> dot, Vector256<float> scale) =>
        Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), scale, acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Splat(float value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SumFloat(Vector256<float> acc) => Vector256.Sum(acc);
}

/// <summary>Sixteen float32 lanes with AVX-512F FMA: the float side of the AVX-512 path.</summary>
internal readonly struct Q8Accumulator512 : IQ8Accumulator<Vector512<int>, Vector512<float>>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SumInt(Vector512<int> dot) => Vector512.Sum(dot);

    public static Vector512<float> Zero => Vector512<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> acc, Vector512<int> dot, float scale) =>
        Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(dot), Vector512.Create(scale), acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> acc, Vector512<int> dot, Vector512<float> scale) =>
        Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(dot), scale, acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Splat(float value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SumFloat(Vector512<float> acc) => Vector512.Sum(acc);
}
