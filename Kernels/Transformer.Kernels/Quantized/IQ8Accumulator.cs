using System.Runtime.Intrinsics;

namespace Transformer.Kernels.Quantized;

/// <summary>
/// The float side of an int8 path for one vector width: scaling a block's int32 lanes into a
/// float32 accumulator and reducing it. Every <see cref="IQ8BlockDot{TW, TX, TI}"/> of that width
/// (AVX2 and AVX-VNNI at 256 bits, NEON and NEON-Dp at 128) uses the same one, so the paths
/// differ only in their integer dot.
/// </summary>
/// <typeparam name="TI">Lane-wise int32 partial sums of one block's dot.</typeparam>
/// <typeparam name="TF">Lane-wise float32 accumulator of a row·token dot.</typeparam>
internal interface IQ8Accumulator<TI, TF>
    where TI : struct where TF : struct
{
    /// <summary>Σ of the integer lanes: the block's exact dot (for tests against the scalar spec).</summary>
    static abstract int SumInt(TI dot);

    /// <summary>An all-zero accumulator.</summary>
    static abstract TF Zero { get; }

    /// <summary>acc + scale · float(dot), lane-wise, with one fused rounding.</summary>
    static abstract TF MultiplyAdd(TF acc, TI dot, float scale);

    /// <summary>acc + scale · float(dot), lane-wise, with the scale already in every lane.</summary>
    static abstract TF MultiplyAdd(TF acc, TI dot, TF scale);

    /// <summary>A float in every lane.</summary>
    static abstract TF Splat(float value);

    /// <summary>
    /// The scales of one step's blocks, starting at <paramref name="scales"/>, laid out as the step's dot
    /// lanes are: one scale in every lane, or for a two-block step the first scale in the low half and the
    /// second in the high half.
    /// </summary>
    static abstract TF StepScales(ref float scales);

    /// <summary>a · b, lane-wise (one IEEE rounding per lane, the same as the scalar product).</summary>
    static abstract TF Multiply(TF a, TF b);

    /// <summary>
    /// [Σa, Σb, Σc, Σd]: the lane sums of four accumulators in one vector, each added in the order
    /// of <see cref="Q8Reference.LaneSum"/> (adjacent lanes paired, recursively). One transpose-and-add
    /// network for all four costs about what one horizontal sum did, and the fixed order makes a
    /// result independent of which accumulators it was reduced with (a single one reduces as
    /// <c>Sum4(a, a, a, a)</c>), so GEMM tiles, GEMV tiles and row tails agree bitwise.
    /// </summary>
    static abstract Vector128<float> Sum4(TF a, TF b, TF c, TF d);
}
