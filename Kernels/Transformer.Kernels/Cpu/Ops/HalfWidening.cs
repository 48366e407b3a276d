using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Transformer.Kernels.Cpu.Ops;

/// <summary>
/// Loads one vector's worth of 16-bit weight patterns and widens them to float32 lanes, exactly.
/// One implementation per (storage type, vector width); the matmul driver is generic over it.
/// </summary>
internal interface IHalfWiden<TV> where TV : struct
{
    /// <summary>Reads as many patterns as the vector has float lanes, starting at <paramref name="source"/>.</summary>
    static abstract TV Load(ref ushort source);
    /// <summary>The same widening for one pattern (K tails shorter than a vector).</summary>
    static abstract float Scalar(ushort bits);
}

// BF16 lanes: zero-extend each pattern to 32 bits, then shift it into the high half.
// F16 lanes: zero-extend, then HalfBits.F16 rebiases the exponent.
// x86 zero-extends with vpmovzxwd (the widening loads below); Arm with uxtl.

internal readonly struct Bf16Widen512 : IHalfWiden<Vector512<float>>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(ref ushort source) =>
        (Avx512F.ConvertToVector512UInt32(Vector256.LoadUnsafe(ref source)) << 16).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Scalar(ushort bits) => HalfScalar.Bf16(bits);
}

internal readonly struct Bf16Widen256 : IHalfWiden<Vector256<float>>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(ref ushort source) =>
        (Avx2.ConvertToVector256Int32(Vector128.LoadUnsafe(ref source)) << 16).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Scalar(ushort bits) => HalfScalar.Bf16(bits);
}

internal readonly struct Bf16Widen128 : IHalfWiden<Vector128<float>>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Load(ref ushort source) =>
        (AdvSimd.ZeroExtendWideningLower(Vector64.LoadUnsafe(ref source)) << 16).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Scalar(ushort bits) => HalfScalar.Bf16(bits);
}

internal readonly struct F16Widen512 : IHalfWiden<Vector512<float>>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(ref ushort source) =>
        HalfBits.F16(Avx512F.ConvertToVector512UInt32(Vector256.LoadUnsafe(ref source)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Scalar(ushort bits) => HalfScalar.F16(bits);
}

internal readonly struct F16Widen256 : IHalfWiden<Vector256<float>>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(ref ushort source) =>
        HalfBits.F16(Avx2.ConvertToVector256Int32(Vector128.LoadUnsafe(ref source)).AsUInt32());
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Scalar(ushort bits) => HalfScalar.F16(bits);
}

internal readonly struct F16Widen128 : IHalfWiden<Vector128<float>>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Load(ref ushort source) =>
        HalfBits.F16(AdvSimd.ZeroExtendWideningLower(Vector64.LoadUnsafe(ref source)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Scalar(ushort bits) => HalfScalar.F16(bits);
}

/// <summary>
/// binary16 → binary32 on zero-extended patterns, exact for every input. .NET 10 exposes no
/// vcvtph2ps / fcvtl intrinsic, so the conversion is integer work: move exponent and mantissa into
/// float position (shift by 13) and multiply by 2^112 to rebias the exponent (15 → 127). The
/// multiply is exact, and it also normalizes F16 subnormals (which land as float subnormals before
/// it). Exponent 31 (infinity, NaN) would come out finite, so those lanes get the all-ones float
/// exponent OR-ed in; the sign is copied last.
/// </summary>
internal static class HalfBits
{
    private const uint MagnitudeMask = 0x7FFF, ExponentMask = 0x7C00, SignMask = 0x8000;
    private const uint ExponentRebias = 0x77800000; // 2^112 as float bits
    private const uint FloatExponentAllOnes = 0x7F800000;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> F16(Vector512<uint> h)
    {
        var magnitude = ((h & Vector512.Create(MagnitudeMask)) << 13).AsSingle() * Vector512.Create(ExponentRebias).AsSingle();
        var special = Vector512.Equals(h & Vector512.Create(ExponentMask), Vector512.Create(ExponentMask)) & Vector512.Create(FloatExponentAllOnes);
        return (magnitude.AsUInt32() | special | ((h & Vector512.Create(SignMask)) << 16)).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> F16(Vector256<uint> h)
    {
        var magnitude = ((h & Vector256.Create(MagnitudeMask)) << 13).AsSingle() * Vector256.Create(ExponentRebias).AsSingle();
        var special = Vector256.Equals(h & Vector256.Create(ExponentMask), Vector256.Create(ExponentMask)) & Vector256.Create(FloatExponentAllOnes);
        return (magnitude.AsUInt32() | special | ((h & Vector256.Create(SignMask)) << 16)).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> F16(Vector128<uint> h)
    {
        var magnitude = ((h & Vector128.Create(MagnitudeMask)) << 13).AsSingle() * Vector128.Create(ExponentRebias).AsSingle();
        var special = Vector128.Equals(h & Vector128.Create(ExponentMask), Vector128.Create(ExponentMask)) & Vector128.Create(FloatExponentAllOnes);
        return (magnitude.AsUInt32() | special | ((h & Vector128.Create(SignMask)) << 16)).AsSingle();
    }
}
