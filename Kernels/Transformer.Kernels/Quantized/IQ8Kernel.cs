namespace Transformer.Kernels.Quantized;

/// <summary>
/// One instruction-set path of the int8 block dot, split into steps so the tiled driver can load
/// (and widen or sign-split) a weight block once and use it for several tokens, and an
/// activation block once for several rows.
/// </summary>
/// <typeparam name="TW">A weight block prepared for the dot.</typeparam>
/// <typeparam name="TX">An activation block prepared for the dot.</typeparam>
/// <typeparam name="TI">Lane-wise int32 partial sums of one block's dot; the lanes add up to Σ w·x.</typeparam>
/// <typeparam name="TF">Lane-wise float32 accumulator of a row·token dot.</typeparam>
internal interface IQ8Kernel<TW, TX, TI, TF>
    where TW : struct where TX : struct where TI : struct where TF : struct
{
    /// <summary>Loads the 32 int8 weights at <paramref name="block"/>.</summary>
    static abstract TW LoadWeights(ref sbyte block);

    /// <summary>Loads the 32 int8 activations at <paramref name="block"/>.</summary>
    static abstract TX LoadActivations(ref sbyte block);

    /// <summary>Integer products of one block, as lanes of exact int32 partial sums.</summary>
    static abstract TI Dot(TW w, TX x);

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

    /// <summary>a · b, lane-wise (one IEEE rounding per lane, the same as the scalar product).</summary>
    static abstract TF Multiply(TF a, TF b);

    /// <summary>Σ of the accumulator's lanes.</summary>
    static abstract float SumFloat(TF acc);
}
