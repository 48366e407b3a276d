using System.Runtime.CompilerServices;

namespace Transformer.Kernels.Cpu.Ops;

/// <summary>How one stored weight element becomes float32, exactly: the scalar path and the K tails.</summary>
internal interface IWeightElement<TW> where TW : unmanaged
{
    static abstract float ToSingle(TW value);
}

/// <summary>
/// Loads as many stored weight elements as <typeparamref name="TV"/> has float32 lanes, starting at
/// the reference, and widens them exactly. <see cref="TiledMatMul{TLanes, TWeights, TW, TV}"/> is generic over it.
/// </summary>
internal interface IWeightVector<TW, TV> : IWeightElement<TW> where TW : unmanaged where TV : struct
{
    static abstract TV Load(ref TW source);
}

/// <summary>Float32 weights: nothing to widen.</summary>
internal readonly struct F32Element : IWeightElement<float>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToSingle(float value) => value;
}

/// <summary>Float32 weights load like the activations, straight into lanes.</summary>
internal readonly struct F32Vector<TLanes, TV> : IWeightVector<float, TV> where TLanes : struct, IF32Lanes<TV> where TV : struct
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Load(ref float source) => TLanes.Load(ref source);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToSingle(float value) => value;
}
