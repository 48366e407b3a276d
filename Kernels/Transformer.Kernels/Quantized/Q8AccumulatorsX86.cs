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
    public static Vector256<float> StepScales(ref float scales) => Splat(scales);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;

    /// <summary>
    /// Adjacent lanes paired within each 128-bit half (<see cref="AddAdjacent"/>), twice, leave
    /// ((l0+l1)+(l2+l3)) of the four vectors in the low half and ((l4+l5)+(l6+l7)) in the high
    /// half; adding the halves ends it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Sum4(Vector256<float> a, Vector256<float> b, Vector256<float> c, Vector256<float> d)
    {
        Vector256<float> halves = AddAdjacent(AddAdjacent(a, b), AddAdjacent(c, d));
        return halves.GetLower() + halves.GetUpper();
    }

    /// <summary>
    /// Within each 128-bit half: [a0+a1, a2+a3, b0+b1, b2+b3], from two vshufps (even and odd
    /// lanes) and one add; what vhaddps does, measured as fast or slightly faster here.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> AddAdjacent(Vector256<float> a, Vector256<float> b) =>
        Avx.Shuffle(a, b, 0b10_00_10_00) + Avx.Shuffle(a, b, 0b11_01_11_01);
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
    public static Vector512<float> StepScales(ref float scales) => Splat(scales);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;

    /// <summary>
    /// The 256-bit network at 512 bits: adjacent lanes paired within each 128-bit quarter, twice,
    /// leave the quarter sums of the four vectors in each quarter q0..q3, then (q0+q1) + (q2+q3).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Sum4(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d)
    {
        Vector512<float> quarters = AddAdjacent(AddAdjacent(a, b), AddAdjacent(c, d));
        Vector512<float> pairs = quarters + Avx512F.Shuffle4x128(quarters, quarters, 0b10_11_00_01); // [q0+q1, q1+q0, q2+q3, q3+q2]
        return pairs.GetLower().GetLower() + Avx512F.ExtractVector128(pairs, 2);
    }

    /// <summary>Within each 128-bit quarter: [a0+a1, a2+a3, b0+b1, b2+b3] (even and odd lanes by vshufps).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> AddAdjacent(Vector512<float> a, Vector512<float> b) =>
        Avx512F.Shuffle(a, b, 0b10_00_10_00) + Avx512F.Shuffle(a, b, 0b11_01_11_01);
}

/// <summary>
/// <see cref="Q8Accumulator512"/> for two-block steps (<see cref="Avx512PairQ8BlockDot"/>): the same float
/// lanes and reduction, with a step's two scales in the low and high halves, where its two blocks' dots are.
/// </summary>
internal readonly struct Q8PairAccumulator512 : IQ8Accumulator<Vector512<int>, Vector512<float>>
{
    public static int SumInt(Vector512<int> dot) => Q8Accumulator512.SumInt(dot);

    public static Vector512<float> Zero => Vector512<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> acc, Vector512<int> dot, float scale) => Q8Accumulator512.MultiplyAdd(acc, dot, scale);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> acc, Vector512<int> dot, Vector512<float> scale) => Q8Accumulator512.MultiplyAdd(acc, dot, scale);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Splat(float value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> StepScales(ref float scales) =>
        Vector512.Create(Vector256.Create(scales), Vector256.Create(Unsafe.Add(ref scales, 1)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Sum4(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d) => Q8Accumulator512.Sum4(a, b, c, d);
}
