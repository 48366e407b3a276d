using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Transformer.Kernels.Quantized;

/// <summary>A 256-bit weight block split for the sign trick: |w| as unsigned bytes, and w for its signs.</summary>
internal readonly struct SignSplit256(Vector256<byte> magnitudes, Vector256<sbyte> signs)
{
    public readonly Vector256<byte> Magnitudes = magnitudes;
    public readonly Vector256<sbyte> Signs = signs;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static SignSplit256 Load(ref sbyte block)
    {
        var w = Vector256.LoadUnsafe(ref block);
        return new SignSplit256(Avx2.Abs(w), w);
    }
}

/// <summary>
/// AVX2: vpmaddubsw multiplies unsigned by signed bytes, so w·x is computed as |w| · (sign(w)·x).
/// Pairs of products (at most 2·127² = 32 258) fit int16 without saturating; vpmaddwd by ones
/// widens them to eight int32 lanes.
/// </summary>
internal readonly struct Avx2Q8BlockDot : IQ8BlockDot<SignSplit256, Vector256<sbyte>, Vector256<int>>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static SignSplit256 LoadWeights(ref sbyte block) => SignSplit256.Load(ref block);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> LoadActivations(ref sbyte block) => Vector256.LoadUnsafe(ref block);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Dot(SignSplit256 w, Vector256<sbyte> x)
    {
        Vector256<short> pairs = Avx2.MultiplyAddAdjacent(w.Magnitudes, Avx2.Sign(x, w.Signs));
        return Avx2.MultiplyAddAdjacent(pairs, Vector256<short>.One);
    }
}

/// <summary>
/// AVX-VNNI: vpdpbusd does the whole unsigned × signed byte dot into eight int32 lanes in one
/// instruction (same sign trick as AVX2, no int16 stage). .NET 10 exposes it at 256 bits only.
/// </summary>
internal readonly struct AvxVnniQ8BlockDot : IQ8BlockDot<SignSplit256, Vector256<sbyte>, Vector256<int>>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static SignSplit256 LoadWeights(ref sbyte block) => SignSplit256.Load(ref block);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> LoadActivations(ref sbyte block) => Vector256.LoadUnsafe(ref block);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Dot(SignSplit256 w, Vector256<sbyte> x) =>
        AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, w.Magnitudes, Avx2.Sign(x, w.Signs));
}

/// <summary>
/// AVX-512BW: a block's 32 bytes are sign-extended to 32 int16 (one zmm, vpmovsxbw straight from
/// memory) and vpmaddwd gives sixteen exact int32 lanes. No sign trick is needed, and each
/// widened operand is reused across the tile's rows or tokens.
/// </summary>
internal readonly struct Avx512Q8BlockDot : IQ8BlockDot<Vector512<short>, Vector512<short>, Vector512<int>>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<short> LoadWeights(ref sbyte block) => Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref block));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<short> LoadActivations(ref sbyte block) => Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref block));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Dot(Vector512<short> w, Vector512<short> x) => Avx512BW.MultiplyAddAdjacent(w, x);
}
