using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Transformer.Kernels.Cpu.Ops;

/// <summary>
/// A 16-bit floating-point storage format: its exact widening to float32, of one pattern and of a
/// vector of patterns already zero-extended to 32 bits (per width: .NET 10 has no public generic
/// vector interface to write it once).
/// </summary>
internal interface IHalfFormat : IWeightElement<ushort>
{
    static abstract Vector512<float> Widen(Vector512<uint> bits);
    static abstract Vector256<float> Widen(Vector256<uint> bits);
    static abstract Vector128<float> Widen(Vector128<uint> bits);
}

/// <summary>bfloat16 is the high half of a binary32: shift the pattern into place.</summary>
internal readonly struct Bf16Format : IHalfFormat
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToSingle(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Widen(Vector512<uint> bits) => (bits << 16).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Widen(Vector256<uint> bits) => (bits << 16).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Widen(Vector128<uint> bits) => (bits << 16).AsSingle();
}

/// <summary>
/// IEEE binary16. .NET 10 exposes no vcvtph2ps / fcvtl intrinsic, so the vector conversion is
/// integer work, and it must not compute on float subnormals: x86 takes a microcode assist of
/// ~100+ cycles for every instruction that sees one, which made an earlier multiply-based version
/// (exponent rebias by ×2^112) run F16 models at half BF16 speed on weights with a few F16 subnormals.
/// Here: move exponent and mantissa into float position (shift by 13) and add 112 to the exponent
/// (15 → 127 bias); exponent 31 (infinity, NaN) gets 112 more, landing on 255. F16 subnormals
/// (exponent 0) are built as the normal float 2^-14·(1 + m/1024) and 2^-14 is subtracted, which is
/// exact (Sterbenz) and normal (≥ 2^-24). The sign is copied last. The scalar conversion is the BCL's.
/// </summary>
internal readonly struct F16Format : IHalfFormat
{
    private const uint MagnitudeMask = 0x7FFF, ExponentMask = 0x7C00, SignMask = 0x8000;
    private const uint ExponentRebias = 112u << 23;
    private const uint ImplicitOne = 1u << 23;
    private const float SubnormalBase = 1f / (1 << 14); // 2^-14: the smallest normal F16

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToSingle(ushort bits) => (float)BitConverter.UInt16BitsToHalf(bits);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Widen(Vector512<uint> h)
    {
        var exponent = h & Vector512.Create(ExponentMask);
        var rebiased = ((h & Vector512.Create(MagnitudeMask)) << 13) + Vector512.Create(ExponentRebias);
        rebiased += Vector512.Equals(exponent, Vector512.Create(ExponentMask)) & Vector512.Create(ExponentRebias);
        var subnormal = (rebiased + Vector512.Create(ImplicitOne)).AsSingle() - Vector512.Create(SubnormalBase);
        var magnitude = Vector512.ConditionalSelect(Vector512.Equals(exponent, Vector512<uint>.Zero), subnormal.AsUInt32(), rebiased);
        return (magnitude | ((h & Vector512.Create(SignMask)) << 16)).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Widen(Vector256<uint> h)
    {
        var exponent = h & Vector256.Create(ExponentMask);
        var rebiased = ((h & Vector256.Create(MagnitudeMask)) << 13) + Vector256.Create(ExponentRebias);
        rebiased += Vector256.Equals(exponent, Vector256.Create(ExponentMask)) & Vector256.Create(ExponentRebias);
        var subnormal = (rebiased + Vector256.Create(ImplicitOne)).AsSingle() - Vector256.Create(SubnormalBase);
        var magnitude = Vector256.ConditionalSelect(Vector256.Equals(exponent, Vector256<uint>.Zero), subnormal.AsUInt32(), rebiased);
        return (magnitude | ((h & Vector256.Create(SignMask)) << 16)).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Widen(Vector128<uint> h)
    {
        var exponent = h & Vector128.Create(ExponentMask);
        var rebiased = ((h & Vector128.Create(MagnitudeMask)) << 13) + Vector128.Create(ExponentRebias);
        rebiased += Vector128.Equals(exponent, Vector128.Create(ExponentMask)) & Vector128.Create(ExponentRebias);
        var subnormal = (rebiased + Vector128.Create(ImplicitOne)).AsSingle() - Vector128.Create(SubnormalBase);
        var magnitude = Vector128.ConditionalSelect(Vector128.Equals(exponent, Vector128<uint>.Zero), subnormal.AsUInt32(), rebiased);
        return (magnitude | ((h & Vector128.Create(SignMask)) << 16)).AsSingle();
    }
}

// The loads: as many 16-bit patterns as the vector has float lanes, zero-extended to 32 bits
// (x86 vpmovzxwd, Arm uxtl), then widened by the format. Each reads exactly Count patterns, so a
// load that starts below k - k % Count stays inside its row.

/// <summary>16 patterns (32 bytes) → 512-bit float lanes.</summary>
internal readonly struct HalfVector512<TFormat> : IWeightVector<ushort, Vector512<float>> where TFormat : struct, IHalfFormat
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(ref ushort source) => TFormat.Widen(Avx512F.ConvertToVector512UInt32(Vector256.LoadUnsafe(ref source)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToSingle(ushort bits) => TFormat.ToSingle(bits);
}

/// <summary>8 patterns (16 bytes) → 256-bit float lanes.</summary>
internal readonly struct HalfVector256<TFormat> : IWeightVector<ushort, Vector256<float>> where TFormat : struct, IHalfFormat
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(ref ushort source) => TFormat.Widen(Avx2.ConvertToVector256Int32(Vector128.LoadUnsafe(ref source)).AsUInt32());
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToSingle(ushort bits) => TFormat.ToSingle(bits);
}

/// <summary>4 patterns (8 bytes) → 128-bit float lanes.</summary>
internal readonly struct HalfVector128<TFormat> : IWeightVector<ushort, Vector128<float>> where TFormat : struct, IHalfFormat
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Load(ref ushort source) => TFormat.Widen(AdvSimd.ZeroExtendWideningLower(Vector64.LoadUnsafe(ref source)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToSingle(ushort bits) => TFormat.ToSingle(bits);
}

/// <summary>
/// A run of F16 patterns widened to float32 at a vector width: 512, 256 or 128 bits, or 0 for the scalar BCL
/// conversion. The conversion is exact, so every width gives the same bits; the widest the CPU has is the
/// default. Paged attention widens F16 key and value blocks with it, where TensorPrimitives.ConvertToSingle
/// took about as long as the block's arithmetic.
/// </summary>
public static class F16Run
{
    /// <summary>The widest width this CPU runs: 512, 256, 128 or 0 (scalar).</summary>
    public static int PreferredWidth { get; } =
        Avx512BW.IsSupported && Vector512.IsHardwareAccelerated ? 512
        : Avx2.IsSupported ? 256
        : AdvSimd.IsSupported ? 128
        : 0;

    /// <summary>destination[i] = source[i] for i &lt; source.Length, at <see cref="PreferredWidth"/>.</summary>
    public static void Widen(ReadOnlySpan<Half> source, Span<float> destination) => Widen(source, destination, PreferredWidth);

    /// <summary>destination[i] = source[i] for i &lt; source.Length, at <paramref name="width"/> bits (0: scalar).</summary>
    /// <exception cref="ArgumentException">The destination is shorter than the source.</exception>
    /// <exception cref="PlatformNotSupportedException">This CPU lacks the width.</exception>
    public static void Widen(ReadOnlySpan<Half> source, Span<float> destination, int width)
    {
        if (destination.Length < source.Length)
            throw new ArgumentException($"widening {source.Length} F16 values needs as many floats, got {destination.Length}", nameof(destination));
        ref ushort s = ref Unsafe.As<Half, ushort>(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(source));
        ref float d = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(destination);
        int n = source.Length, i = 0;
        switch (width)
        {
            case 512:
                Require(Avx512BW.IsSupported && Vector512.IsHardwareAccelerated, width);
                for (; i + 32 <= n; i += 32)
                {
                    if (F16Pairs.TryWiden512(ref Unsafe.Add(ref s, i), ref Unsafe.Add(ref d, i))) continue;
                    HalfVector512<F16Format>.Load(ref Unsafe.Add(ref s, i)).StoreUnsafe(ref d, (nuint)i);
                    HalfVector512<F16Format>.Load(ref Unsafe.Add(ref s, i + 16)).StoreUnsafe(ref d, (nuint)(i + 16));
                }
                for (; i + 16 <= n; i += 16) HalfVector512<F16Format>.Load(ref Unsafe.Add(ref s, i)).StoreUnsafe(ref d, (nuint)i);
                break;
            case 256:
                Require(Avx2.IsSupported, width);
                for (; i + 16 <= n; i += 16)
                {
                    if (F16Pairs.TryWiden256(ref Unsafe.Add(ref s, i), ref Unsafe.Add(ref d, i))) continue;
                    HalfVector256<F16Format>.Load(ref Unsafe.Add(ref s, i)).StoreUnsafe(ref d, (nuint)i);
                    HalfVector256<F16Format>.Load(ref Unsafe.Add(ref s, i + 8)).StoreUnsafe(ref d, (nuint)(i + 8));
                }
                for (; i + 8 <= n; i += 8) HalfVector256<F16Format>.Load(ref Unsafe.Add(ref s, i)).StoreUnsafe(ref d, (nuint)i);
                break;
            case 128:
                Require(AdvSimd.IsSupported, width);
                for (; i + 4 <= n; i += 4) HalfVector128<F16Format>.Load(ref Unsafe.Add(ref s, i)).StoreUnsafe(ref d, (nuint)i);
                break;
            case 0:
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(width), width, "the F16 widening width is 512, 256, 128 or 0");
        }
        for (; i < n; i++) Unsafe.Add(ref d, i) = F16Format.ToSingle(Unsafe.Add(ref s, i));
    }

    private static void Require(bool supported, int width)
    {
        if (!supported) throw new PlatformNotSupportedException($"this CPU has no {width}-bit F16 widening path");
    }
}

/// <summary>
/// F16 → float32 for runs without subnormals (activations in a KV cache almost never hold one), in 16-bit lanes:
/// twice the values per instruction of <see cref="F16Format"/>'s 32-bit lanes, which made widening the larger part of
/// paged attention over an F16 pool. A binary32's high half is the sign, the exponent rebiased by 112 (31, infinity
/// or NaN, by 224 to land on 255) and the mantissa's top 7 bits — (h &amp; 0x7FFF) >> 3 plus 112 &lt;&lt; 7 — and its
/// low half the mantissa's last 3 bits, h &lt;&lt; 13; ±0 keeps only its sign. Interleaving the halves word by word
/// (vpunpcklwd/vpunpckhwd, which work within 128-bit lanes, after one permute that puts each lane's words where the
/// unpacks want them) gives the floats in order. A run holding a subnormal returns false and is widened by
/// <see cref="F16Format"/>, so every pattern converts exactly.
/// </summary>
internal static class F16Pairs
{
    private const ushort MagnitudeMask = 0x7FFF, ExponentMask = 0x7C00, SignMask = 0x8000, Rebias = 112 << 7;

    // Word j of 128-bit lane L: the unpacks read words 0–3 of each lane into floats 4L..4L+3 of the first output and
    // words 4–7 into floats 16 + 4L.. of the second.
    private static readonly Vector512<ushort> s_unpackOrder512 = Vector512.Create(
        (ushort)0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23, 8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31);

    /// <summary>Widens 32 patterns into 32 floats unless one is subnormal (then writes nothing).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryWiden512(ref ushort source, ref float destination)
    {
        var h = Avx512BW.PermuteVar32x16(Vector512.LoadUnsafe(ref source), s_unpackOrder512);
        var exponent = h & Vector512.Create(ExponentMask);
        var magnitude = h & Vector512.Create(MagnitudeMask);
        var zeroExponent = Vector512.Equals(exponent, Vector512<ushort>.Zero);
        if (!Vector512.EqualsAll(Vector512.AndNot(zeroExponent, Vector512.Equals(magnitude, Vector512<ushort>.Zero)), Vector512<ushort>.Zero)) return false;
        var high = (magnitude >>> 3) + Vector512.Create(Rebias);
        high += Vector512.Equals(exponent, Vector512.Create(ExponentMask)) & Vector512.Create(Rebias);
        high = Vector512.AndNot(high, zeroExponent) | (h & Vector512.Create(SignMask));
        var low = h << 13;
        Avx512BW.UnpackLow(low, high).AsSingle().StoreUnsafe(ref destination);
        Avx512BW.UnpackHigh(low, high).AsSingle().StoreUnsafe(ref destination, 16);
        return true;
    }

    /// <summary>Widens 16 patterns into 16 floats unless one is subnormal (then writes nothing).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryWiden256(ref ushort source, ref float destination)
    {
        // Quadwords 0, 2, 1, 3: lane 0 then holds patterns 0–3 and 8–11, lane 1 patterns 4–7 and 12–15.
        var h = Avx2.Permute4x64(Vector256.LoadUnsafe(ref source).AsUInt64(), 0b11_01_10_00).AsUInt16();
        var exponent = h & Vector256.Create(ExponentMask);
        var magnitude = h & Vector256.Create(MagnitudeMask);
        var zeroExponent = Vector256.Equals(exponent, Vector256<ushort>.Zero);
        if (!Vector256.EqualsAll(Vector256.AndNot(zeroExponent, Vector256.Equals(magnitude, Vector256<ushort>.Zero)), Vector256<ushort>.Zero)) return false;
        var high = (magnitude >>> 3) + Vector256.Create(Rebias);
        high += Vector256.Equals(exponent, Vector256.Create(ExponentMask)) & Vector256.Create(Rebias);
        high = Vector256.AndNot(high, zeroExponent) | (h & Vector256.Create(SignMask));
        var low = h << 13;
        Avx2.UnpackLow(low, high).AsSingle().StoreUnsafe(ref destination);
        Avx2.UnpackHigh(low, high).AsSingle().StoreUnsafe(ref destination, 8);
        return true;
    }
}
