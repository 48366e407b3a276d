using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Transformer.Kernels.Quantized;

/// <summary>
/// Unpacking a Q4_K block (16 code bytes, <see cref="Q4KWeight"/>) into its 32 unsigned codes q ∈ [0, 15] in value
/// order. Unsigned codes need no sign trick: vpmaddubsw and vpdpbusd take them as they are.
/// </summary>
internal static class Q4KUnpack
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector128<byte> Low, Vector128<byte> High) Halves(ref sbyte block)
    {
        var codes = Vector128.LoadUnsafe(ref Unsafe.As<sbyte, byte>(ref block));
        return (codes & Vector128.Create((byte)0x0F), Vector128.ShiftRightLogical(codes, 4));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Block256(ref sbyte block)
    {
        var (low, high) = Halves(ref block);
        return Vector256.Create(low, high);
    }
}

/// <summary>AVX2 on Q4_K codes: vpmaddubsw of the unsigned codes by the int8 activations (pairs ≤ 2·15·127), vpmaddwd by ones.</summary>
internal readonly struct Avx2Q4KBlockDot : IQ8BlockDot<Vector256<byte>, Vector256<sbyte>, Vector256<int>>
{
    public static int BlocksPerStep => 1;

    public static int WeightBlockBytes => Q4KWeight.BlockBytes;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> LoadWeights(ref sbyte block) => Q4KUnpack.Block256(ref block);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> LoadActivations(ref sbyte block) => Vector256.LoadUnsafe(ref block);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Dot(Vector256<byte> w, Vector256<sbyte> x) =>
        Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(w, x), Vector256<short>.One);
}

/// <summary>AVX-VNNI on Q4_K codes: one vpdpbusd, the codes being the unsigned operand it wants.</summary>
internal readonly struct AvxVnniQ4KBlockDot : IQ8BlockDot<Vector256<byte>, Vector256<sbyte>, Vector256<int>>
{
    public static int BlocksPerStep => 1;

    public static int WeightBlockBytes => Q4KWeight.BlockBytes;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> LoadWeights(ref sbyte block) => Q4KUnpack.Block256(ref block);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> LoadActivations(ref sbyte block) => Vector256.LoadUnsafe(ref block);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Dot(Vector256<byte> w, Vector256<sbyte> x) => AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, w, x);
}

/// <summary>AVX-512BW on Q4_K codes: zero-extended to 32 int16, then <see cref="Avx512Q8BlockDot"/>'s vpmaddwd.</summary>
internal readonly struct Avx512Q4KBlockDot : IQ8BlockDot<Vector512<short>, Vector512<short>, Vector512<int>>
{
    public static int BlocksPerStep => 1;

    public static int WeightBlockBytes => Q4KWeight.BlockBytes;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<short> LoadWeights(ref sbyte block) => Avx512BW.ConvertToVector512Int16(Q4KUnpack.Block256(ref block));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<short> LoadActivations(ref sbyte block) => Avx512Q8BlockDot.LoadActivations(ref block);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Dot(Vector512<short> w, Vector512<short> x) => Avx512Q8BlockDot.Dot(w, x);
}

/// <summary>NEON with sdot on Q4_K codes: codes ≤ 15 are valid signed bytes, so <see cref="NeonDpQ8BlockDot"/> runs unchanged.</summary>
internal readonly struct NeonDpQ4KBlockDot : IQ8BlockDot<Block128x2, Block128x2, Vector128<int>>
{
    public static int BlocksPerStep => 1;

    public static int WeightBlockBytes => Q4KWeight.BlockBytes;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128x2 LoadWeights(ref sbyte block)
    {
        var (low, high) = Q4KUnpack.Halves(ref block);
        return new Block128x2(low.AsSByte(), high.AsSByte());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128x2 LoadActivations(ref sbyte block) => NeonDpQ8BlockDot.LoadActivations(ref block);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Dot(Block128x2 w, Block128x2 x) => NeonDpQ8BlockDot.Dot(w, x);
}

/// <summary>Plain NEON on Q4_K codes: <see cref="NeonQ8BlockDot"/>'s smull/sadalp on the unpacked codes.</summary>
internal readonly struct NeonQ4KBlockDot : IQ8BlockDot<Block128x2, Block128x2, Vector128<int>>
{
    public static int BlocksPerStep => 1;

    public static int WeightBlockBytes => Q4KWeight.BlockBytes;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128x2 LoadWeights(ref sbyte block) => NeonDpQ4KBlockDot.LoadWeights(ref block);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128x2 LoadActivations(ref sbyte block) => NeonQ8BlockDot.LoadActivations(ref block);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Dot(Block128x2 w, Block128x2 x) => NeonQ8BlockDot.Dot(w, x);
}
