using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

namespace Transformer.Kernels.Quantized;

/// <summary>One 32-byte block as two 128-bit NEON registers.</summary>
internal readonly struct Block128x2(Vector128<sbyte> low, Vector128<sbyte> high)
{
    public readonly Vector128<sbyte> Low = low;
    public readonly Vector128<sbyte> High = high;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128x2 Load(ref sbyte block) =>
        new(Vector128.LoadUnsafe(ref block), Vector128.LoadUnsafe(ref block, (nuint)Vector128<sbyte>.Count));
}

/// <summary>
/// NEON with the dot-product extension: sdot adds four signed byte products into each int32
/// lane, so a block is two instructions.
/// </summary>
internal readonly struct NeonDpQ8BlockDot : IQ8BlockDot<Block128x2, Block128x2, Vector128<int>>
{
    public static int BlocksPerStep => 1;

    public static int WeightBlockBytes => Q8Format.BlockSize;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128x2 LoadWeights(ref sbyte block) => Block128x2.Load(ref block);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128x2 LoadActivations(ref sbyte block) => Block128x2.Load(ref block);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Dot(Block128x2 w, Block128x2 x) =>
        Dp.DotProduct(Dp.DotProduct(Vector128<int>.Zero, w.Low, x.Low), w.High, x.High);
}

/// <summary>
/// Plain NEON (no sdot, e.g. Cortex-A72): smull/smull2 give exact int16 products (|127²| fits),
/// and sadalp adds adjacent pairs into int32 lanes.
/// </summary>
internal readonly struct NeonQ8BlockDot : IQ8BlockDot<Block128x2, Block128x2, Vector128<int>>
{
    public static int BlocksPerStep => 1;

    public static int WeightBlockBytes => Q8Format.BlockSize;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128x2 LoadWeights(ref sbyte block) => Block128x2.Load(ref block);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128x2 LoadActivations(ref sbyte block) => Block128x2.Load(ref block);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Dot(Block128x2 w, Block128x2 x)
    {
        var sums = AdvSimd.AddPairwiseWidening(AdvSimd.MultiplyWideningLower(w.Low.GetLower(), x.Low.GetLower()));
        sums = AdvSimd.AddPairwiseWideningAndAdd(sums, AdvSimd.MultiplyWideningUpper(w.Low, x.Low));
        sums = AdvSimd.AddPairwiseWideningAndAdd(sums, AdvSimd.MultiplyWideningLower(w.High.GetLower(), x.High.GetLower()));
        return AdvSimd.AddPairwiseWideningAndAdd(sums, AdvSimd.MultiplyWideningUpper(w.High, x.High));
    }
}
