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
    public static int BlocksPerStep => 1;

    public static int WeightBlockBytes => Q8Format.BlockSize;

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
    public static int BlocksPerStep => 1;

    public static int WeightBlockBytes => Q8Format.BlockSize;

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
    public static int BlocksPerStep => 1;

    public static int WeightBlockBytes => Q8Format.BlockSize;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<short> LoadWeights(ref sbyte block) => Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref block));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<short> LoadActivations(ref sbyte block) => Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref block));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Dot(Vector512<short> w, Vector512<short> x) => Avx512BW.MultiplyAddAdjacent(w, x);
}

/// <summary>Two consecutive 64-byte weight blocks split for the sign trick: |w| as unsigned bytes, and where w is negative.</summary>
internal readonly struct SignSplit512(Vector512<byte> magnitudes, Vector512<sbyte> negative)
{
    public readonly Vector512<byte> Magnitudes = magnitudes;
    public readonly Vector512<sbyte> Negative = negative;
}

/// <summary>Two consecutive activation blocks, and their negation (so each row's sign is one select, not a subtract).</summary>
internal readonly struct Negatable512(Vector512<sbyte> values, Vector512<sbyte> negated)
{
    public readonly Vector512<sbyte> Values = values;
    public readonly Vector512<sbyte> Negated = negated;
}

/// <summary>
/// AVX-512BW, two blocks per step: one zmm holds 64 values, so vpmaddubsw multiplies |w| (unsigned) by
/// x with w's sign (signed) into 32 int16 pair sums, and vpmaddwd by ones adds those into 16 int32 lanes:
/// lanes 0–7 hold the first block's dot, 8–15 the second's. Exact: |w| ≤ 127 and |x| ≤ 127, so a pair is
/// at most 2·127² = 32 258 and never saturates. AVX-512 has no vpsignb, so x's sign flip is a select
/// between x and −x, −x computed once per activation step and shared by the tile's rows. Per 64 products
/// that is 2 multiply-class integer ops and one float scale-and-accumulate, against 2 and 2 for one block
/// per step (<see cref="Avx512Q8BlockDot"/>), which rows whose block count is odd still use.
/// </summary>
internal readonly struct Avx512PairQ8BlockDot : IQ8BlockDot<SignSplit512, Negatable512, Vector512<int>>
{
    public static int BlocksPerStep => 2;

    public static int WeightBlockBytes => Q8Format.BlockSize;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static SignSplit512 LoadWeights(ref sbyte block)
    {
        var w = Vector512.LoadUnsafe(ref block);
        return new SignSplit512(Avx512BW.Abs(w), Vector512.LessThan(w, Vector512<sbyte>.Zero));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Negatable512 LoadActivations(ref sbyte block)
    {
        var x = Vector512.LoadUnsafe(ref block);
        return new Negatable512(x, Vector512<sbyte>.Zero - x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Dot(SignSplit512 w, Negatable512 x)
    {
        Vector512<short> pairs = Avx512BW.MultiplyAddAdjacent(w.Magnitudes, Vector512.ConditionalSelect(w.Negative, x.Negated, x.Values));
        return Avx512BW.MultiplyAddAdjacent(pairs, Vector512<short>.One);
    }
}
