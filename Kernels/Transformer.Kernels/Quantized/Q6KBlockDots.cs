using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Transformer.Kernels.Quantized;

/// <summary>
/// Unpacking a Q6_K block (26 bytes, <see cref="Q6KWeight"/>) into its 32 signed values q − 32 ∈ [−32, 31]: the low
/// nibbles as for 4-bit codes; the 8 high-bit bytes broadcast to every 64-bit lane and shifted right by 2·(lane), so
/// lane g's byte j holds value 8g + j's pair in its low two bits.
/// </summary>
internal static class Q6KUnpack
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> Block256(ref sbyte block)
    {
        var (low, high) = Q4KUnpack.Halves(ref block);
        ulong pairs = Unsafe.ReadUnaligned<ulong>(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref block, 16)));
        var spread = Avx2.ShiftRightLogicalVariable(Vector256.Create(pairs), Vector256.Create(0UL, 2, 4, 6)).AsByte() & Vector256.Create((byte)3);
        var codes = Vector256.Create(low, high) | Vector256.ShiftLeft(spread.AsUInt16(), 4).AsByte(); // values ≤ 3 shift within their byte
        return codes.AsSByte() - Vector256.Create((sbyte)Q6KWeight.Offset);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128x2 Halves(ref sbyte block)
    {
        var (low, high) = Q4KUnpack.Halves(ref block);
        var pairs = Vector128.Create(Unsafe.ReadUnaligned<ulong>(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref block, 16))));
        var mask = Vector128.Create((byte)3);
        var lowPairs = AdvSimd.ShiftLogical(pairs, Vector128.Create(0L, -2L)).AsByte() & mask; // values 0–15
        var highPairs = AdvSimd.ShiftLogical(pairs, Vector128.Create(-4L, -6L)).AsByte() & mask; // values 16–31
        var offset = Vector128.Create((sbyte)Q6KWeight.Offset);
        return new Block128x2(
            (low | AdvSimd.ShiftLeftLogical(lowPairs, 4)).AsSByte() - offset,
            (high | AdvSimd.ShiftLeftLogical(highPairs, 4)).AsSByte() - offset);
    }

    /// <summary>The block's two int8 sub-block scales: values 0–15, then 16–31.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (int Low, int High) Scales(ref sbyte block) => (Unsafe.Add(ref block, 24), Unsafe.Add(ref block, 25));
}

/// <summary>A Q6_K block prepared for the 256-bit paths: sign-split values and the sub-block scales in the lanes they weigh.</summary>
internal readonly struct Q6KWeights256(SignSplit256 values, Vector256<int> scales)
{
    public readonly SignSplit256 Values = values;
    /// <summary>Per int32 lane of the dot (AVX-VNNI), or per int16 pair lane as shorts (AVX2).</summary>
    public readonly Vector256<int> Scales = scales;
}

/// <summary>
/// AVX2 on Q6_K: |w| · sign(w)·x by vpmaddubsw (pairs ≤ 2·32·127, no saturation); int16 lanes 0–7 are values 0–15,
/// so vpmaddwd by the scales (s_a in lanes 0–7, s_b in 8–15) instead of by ones applies each sub-block's scale exactly.
/// </summary>
internal readonly struct Avx2Q6KBlockDot : IQ8BlockDot<Q6KWeights256, Vector256<sbyte>, Vector256<int>>
{
    public static int BlocksPerStep => 1;

    public static int WeightBlockBytes => Q6KWeight.BlockBytes;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Q6KWeights256 LoadWeights(ref sbyte block)
    {
        var w = Q6KUnpack.Block256(ref block);
        var (low, high) = Q6KUnpack.Scales(ref block);
        return new Q6KWeights256(new SignSplit256(Avx2.Abs(w), w),
            Vector256.Create(Vector128.Create((short)low), Vector128.Create((short)high)).AsInt32());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> LoadActivations(ref sbyte block) => Vector256.LoadUnsafe(ref block);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Dot(Q6KWeights256 w, Vector256<sbyte> x) =>
        Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(w.Values.Magnitudes, Avx2.Sign(x, w.Values.Signs)), w.Scales.AsInt16());
}

/// <summary>AVX-VNNI on Q6_K: vpdpbusd (int32 lanes 0–3 are values 0–15), then vpmulld by each lane's sub-block scale.</summary>
internal readonly struct AvxVnniQ6KBlockDot : IQ8BlockDot<Q6KWeights256, Vector256<sbyte>, Vector256<int>>
{
    public static int BlocksPerStep => 1;

    public static int WeightBlockBytes => Q6KWeight.BlockBytes;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Q6KWeights256 LoadWeights(ref sbyte block)
    {
        var w = Q6KUnpack.Block256(ref block);
        var (low, high) = Q6KUnpack.Scales(ref block);
        return new Q6KWeights256(new SignSplit256(Avx2.Abs(w), w), Vector256.Create(Vector128.Create(low), Vector128.Create(high)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> LoadActivations(ref sbyte block) => Vector256.LoadUnsafe(ref block);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Dot(Q6KWeights256 w, Vector256<sbyte> x) =>
        Avx2.MultiplyLow(AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, w.Values.Magnitudes, Avx2.Sign(x, w.Values.Signs)), w.Scales);
}

/// <summary>
/// AVX-512BW on Q6_K: values widened to 32 int16 and multiplied by their sub-block's scale (|s·(q − 32)| ≤ 4096 fits),
/// then <see cref="Avx512Q8BlockDot"/>'s vpmaddwd: the scales are in the weights before the dot.
/// </summary>
internal readonly struct Avx512Q6KBlockDot : IQ8BlockDot<Vector512<short>, Vector512<short>, Vector512<int>>
{
    public static int BlocksPerStep => 1;

    public static int WeightBlockBytes => Q6KWeight.BlockBytes;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<short> LoadWeights(ref sbyte block)
    {
        var (low, high) = Q6KUnpack.Scales(ref block);
        var scales = Vector512.Create(Vector256.Create((short)low), Vector256.Create((short)high));
        return Avx512BW.MultiplyLow(Avx512BW.ConvertToVector512Int16(Q6KUnpack.Block256(ref block)), scales);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<short> LoadActivations(ref sbyte block) => Avx512Q8BlockDot.LoadActivations(ref block);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Dot(Vector512<short> w, Vector512<short> x) => Avx512Q8BlockDot.Dot(w, x);
}

/// <summary>A Q6_K block prepared for NEON: the values as two registers (0–15, 16–31) and each half's scale.</summary>
internal readonly struct Q6KWeights128(Block128x2 values, Vector128<int> low, Vector128<int> high)
{
    public readonly Block128x2 Values = values;
    public readonly Vector128<int> Low = low;
    public readonly Vector128<int> High = high;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Q6KWeights128 Load(ref sbyte block)
    {
        var (low, high) = Q6KUnpack.Scales(ref block);
        return new Q6KWeights128(Q6KUnpack.Halves(ref block), Vector128.Create(low), Vector128.Create(high));
    }
}

/// <summary>NEON with sdot on Q6_K: one sdot per half (one sub-block each), scaled and added by mul/mla.</summary>
internal readonly struct NeonDpQ6KBlockDot : IQ8BlockDot<Q6KWeights128, Block128x2, Vector128<int>>
{
    public static int BlocksPerStep => 1;

    public static int WeightBlockBytes => Q6KWeight.BlockBytes;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Q6KWeights128 LoadWeights(ref sbyte block) => Q6KWeights128.Load(ref block);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128x2 LoadActivations(ref sbyte block) => Block128x2.Load(ref block);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Dot(Q6KWeights128 w, Block128x2 x)
    {
        var low = Dp.DotProduct(Vector128<int>.Zero, w.Values.Low, x.Low);
        var high = Dp.DotProduct(Vector128<int>.Zero, w.Values.High, x.High);
        return AdvSimd.MultiplyAdd(AdvSimd.Multiply(low, w.Low), high, w.High);
    }
}

/// <summary>Plain NEON on Q6_K: smull/sadalp per half (products ≤ 32·127 fit int16), scaled and added by mul/mla.</summary>
internal readonly struct NeonQ6KBlockDot : IQ8BlockDot<Q6KWeights128, Block128x2, Vector128<int>>
{
    public static int BlocksPerStep => 1;

    public static int WeightBlockBytes => Q6KWeight.BlockBytes;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Q6KWeights128 LoadWeights(ref sbyte block) => Q6KWeights128.Load(ref block);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128x2 LoadActivations(ref sbyte block) => Block128x2.Load(ref block);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Dot(Q6KWeights128 w, Block128x2 x)
    {
        var low = AdvSimd.AddPairwiseWidening(AdvSimd.MultiplyWideningLower(w.Values.Low.GetLower(), x.Low.GetLower()));
        low = AdvSimd.AddPairwiseWideningAndAdd(low, AdvSimd.MultiplyWideningUpper(w.Values.Low, x.Low));
        var high = AdvSimd.AddPairwiseWidening(AdvSimd.MultiplyWideningLower(w.Values.High.GetLower(), x.High.GetLower()));
        high = AdvSimd.AddPairwiseWideningAndAdd(high, AdvSimd.MultiplyWideningUpper(w.Values.High, x.High));
        return AdvSimd.MultiplyAdd(AdvSimd.Multiply(low, w.Low), high, w.High);
    }
}
