namespace Transformer.Kernels.Quantized;

/// <summary>
/// The part of an int8 path that differs per instruction set: how a 32-value block is loaded
/// (and widened or sign-split) and how its integer dot is formed. Split into steps so the tiled
/// driver can prepare a weight block once and use it for several tokens, and an activation block
/// once for several rows. The float side is an <see cref="IQ8Accumulator{TI, TF}"/> of the same
/// vector width, shared by every path of that width.
/// </summary>
/// <typeparam name="TW">A weight block prepared for the dot.</typeparam>
/// <typeparam name="TX">An activation block prepared for the dot.</typeparam>
/// <typeparam name="TI">Lane-wise int32 partial sums of one block's dot; the lanes add up to Σ w·x.</typeparam>
internal interface IQ8BlockDot<TW, TX, TI>
    where TW : struct where TX : struct where TI : struct
{
    /// <summary>Loads the 32 int8 weights at <paramref name="block"/>.</summary>
    static abstract TW LoadWeights(ref sbyte block);

    /// <summary>Loads the 32 int8 activations at <paramref name="block"/>.</summary>
    static abstract TX LoadActivations(ref sbyte block);

    /// <summary>Integer products of one block, as lanes of exact int32 partial sums.</summary>
    static abstract TI Dot(TW w, TX x);
}
