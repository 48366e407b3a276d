namespace Transformer.Kernels.Quantized;

/// <summary>
/// The part of an int8 path that differs per instruction set: how a step of one or two 32-value
/// blocks is loaded (unpacked from 4 bits, widened or sign-split) and how its integer dot is formed. Split into steps so the tiled
/// driver can prepare a weight block once and use it for several tokens, and an activation block
/// once for several rows. The float side is an <see cref="IQ8Accumulator{TI, TF}"/> of the same
/// vector width, shared by every path of that width.
/// </summary>
/// <typeparam name="TW">A weight block prepared for the dot.</typeparam>
/// <typeparam name="TX">An activation block prepared for the dot.</typeparam>
/// <typeparam name="TI">Lane-wise int32 partial sums of one step's dot: for one block the lanes add up to
/// Σ w·x; for two, the low half of the lanes holds the first block's and the high half the second's.</typeparam>
internal interface IQ8BlockDot<TW, TX, TI>
    where TW : struct where TX : struct where TI : struct
{
    /// <summary>Consecutive blocks one step covers (1, or 2 when a vector holds two blocks).</summary>
    static abstract int BlocksPerStep { get; }

    /// <summary>
    /// Bytes one block's weights take in memory: 32 for int8, 16 for 4-bit codes (two per byte). The driver
    /// steps through a weight row by this, and through the activations by 32 whatever it is.
    /// </summary>
    static abstract int WeightBlockBytes { get; }

    /// <summary>Loads the step's weights at <paramref name="block"/> (32 · <see cref="BlocksPerStep"/> values, int8 or unpacked from 4 bits).</summary>
    static abstract TW LoadWeights(ref sbyte block);

    /// <summary>Loads the step's int8 activations at <paramref name="block"/>.</summary>
    static abstract TX LoadActivations(ref sbyte block);

    /// <summary>Integer products of one step, as lanes of exact int32 partial sums.</summary>
    static abstract TI Dot(TW w, TX x);
}
