using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Transformer.Kernels.Quantized;

/// <summary>
/// Unpacking a 4-bit block (16 code bytes, <see cref="Q4Weight"/>) into its 32 signed values q − 8 ∈ [−8, 7], in
/// value order: the low nibbles are values 0–15, the high nibbles 16–31. Once unpacked, a block is an int8 block
/// and each path's int8 dot runs on it unchanged; |q − 8| ≤ 8 keeps every product exact.
/// </summary>
internal static class Q4Unpack
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector128<sbyte> Low, Vector128<sbyte> High) Halves(ref sbyte block)
    {
        var codes = Vector128.LoadUnsafe(ref Unsafe.As<sbyte, byte>(ref block));
        var offset = Vector128.Create((sbyte)Q4Weight.Offset);
        var low = (codes & Vector128.Create((byte)0x0F)).AsSByte() - offset;
        var high = Vector128.ShiftRightLogical(codes, 4).AsSByte() - offset;
        return (low, high);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> Block256(ref sbyte block)
    {
        var (low, high) = Halves(ref block);
        return Vector256.Create(low, high);
    }
}

/// <summary>AVX2 on 4-bit weights: unpacked, then <see cref="Avx2Q8BlockDot"/>'s sign trick.</summary>
internal readonly struct Avx2Q4BlockDot : IQ8BlockDot<SignSplit256, Vector256<sbyte>, Vector256<int>>
{
    public static int BlocksPerStep => 1;

    public static int WeightBlockBytes => Q4Weight.BlockBytes;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static SignSplit256 LoadWeights(ref sbyte block)
    {
        var w = Q4Unpack.Block256(ref block);
        return new SignSplit256(Avx2.Abs(w), w);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> LoadActivations(ref sbyte block) => Avx2Q8BlockDot.LoadActivations(ref block);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Dot(SignSplit256 w, Vector256<sbyte> x) => Avx2Q8BlockDot.Dot(w, x);
}

/// <summary>AVX-VNNI on 4-bit weights: unpacked, then <see cref="AvxVnniQ8BlockDot"/>'s vpdpbusd.</summary>
internal readonly struct AvxVnniQ4BlockDot : IQ8BlockDot<SignSplit256, Vector256<sbyte>, Vector256<int>>
{
    public static int BlocksPerStep => 1;

    public static int WeightBlockBytes => Q4Weight.BlockBytes;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static SignSplit256 LoadWeights(ref sbyte block) => Avx2Q4BlockDot.LoadWeights(ref block);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> LoadActivations(ref sbyte block) => AvxVnniQ8BlockDot.LoadActivations(ref block);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Dot(SignSplit256 w, Vector256<sbyte> x) => AvxVnniQ8BlockDot.Dot(w, x);
}

/// <summary>AVX-512BW on 4-bit weights: unpacked and sign-extended to 32 int16, then <see cref="Avx512Q8BlockDot"/>'s vpmaddwd.</summary>
internal readonly struct Avx512Q4BlockDot : IQ8BlockDot<Vector512<short>, Vector512<short>, Vector512<int>>
{
    public static int BlocksPerStep => 1;

    public static int WeightBlockBytes => Q4Weight.BlockBytes;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<short> LoadWeights(ref sbyte block) => Avx512BW.ConvertToVector512Int16(Q4Unpack.Block256(ref block));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<short> LoadActivations(ref sbyte block) => Avx512Q8BlockDot.LoadActivations(ref block);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Dot(Vector512<short> w, Vector512<short> x) => Avx512Q8BlockDot.Dot(w, x);
}

/// <summary>NEON with sdot on 4-bit weights: unpacked into the two registers <see cref="NeonDpQ8BlockDot"/> takes.</summary>
internal readonly struct NeonDpQ4BlockDot : IQ8BlockDot<Block128x2, Block128x2, Vector128<int>>
{
    public static int BlocksPerStep => 1;

    public static int WeightBlockBytes => Q4Weight.BlockBytes;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128x2 LoadWeights(ref sbyte block)
    {
        var (low, high) = Q4Unpack.Halves(ref block);
        return new Block128x2(low, high);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128x2 LoadActivations(ref sbyte block) => NeonDpQ8BlockDot.LoadActivations(ref block);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Dot(Block128x2 w, Block128x2 x) => NeonDpQ8BlockDot.Dot(w, x);
}

/// <summary>Plain NEON on 4-bit weights: unpacked into the two registers <see cref="NeonQ8BlockDot"/> takes.</summary>
internal readonly struct NeonQ4BlockDot : IQ8BlockDot<Block128x2, Block128x2, Vector128<int>>
{
    public static int BlocksPerStep => 1;

    public static int WeightBlockBytes => Q4Weight.BlockBytes;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128x2 LoadWeights(ref sbyte block) => NeonDpQ4BlockDot.LoadWeights(ref block);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128x2 LoadActivations(ref sbyte block) => NeonQ8BlockDot.LoadActivations(ref block);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Dot(Block128x2 w, Block128x2 x) => NeonQ8BlockDot.Dot(w, x);
}
