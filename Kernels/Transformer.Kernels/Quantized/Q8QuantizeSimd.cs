using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Transformer.Kernels.Quantized;

/// <summary>
/// <see cref="Q8Format.QuantizeBlock"/> with 256-bit vectors: the same scale, the same x·(127/amax)
/// product per value, the same round-half-to-even and clamp, so the result is bitwise the scalar
/// one. Cross-platform vector API, so it serves x86 and Arm alike.
/// </summary>
internal static class Q8QuantizeSimd
{
    /// <summary>Whether 256-bit vectors are hardware accelerated here (else the scalar block loop runs).</summary>
    public static bool IsSupported => Vector256.IsHardwareAccelerated;

    /// <summary>Quantizes one 32-value block; see <see cref="Q8Format.QuantizeBlock"/>.</summary>
    /// <exception cref="ArgumentException">The block holds a NaN or an infinity.</exception>
    public static float QuantizeBlock(ReadOnlySpan<float> source, Span<sbyte> destination)
    {
        // The callers pass whole blocks; the check keeps the unchecked loads below safe.
        if (source.Length != Q8Format.BlockSize || destination.Length != Q8Format.BlockSize)
            throw new ArgumentException($"a Q8 block has {Q8Format.BlockSize} values, got {source.Length} → {destination.Length}");
        float amax = MathF.Abs(TensorPrimitives.MaxMagnitude(source));
        if (!float.IsFinite(amax))
            throw new ArgumentException("cannot quantize a block holding NaN or infinity", nameof(source));
        float scale = amax / Q8Format.MaxLevel;
        if (!float.IsNormal(scale))
        {
            destination.Clear();
            return 0f;
        }
        var inverse = Vector256.Create(Q8Format.MaxLevel / amax);
        ref float x = ref MemoryMarshal.GetReference(source);
        var q01 = Vector256.Narrow(Level(ref x, 0, inverse), Level(ref x, 8, inverse));
        var q23 = Vector256.Narrow(Level(ref x, 16, inverse), Level(ref x, 24, inverse));
        Vector256.Narrow(q01, q23).StoreUnsafe(ref MemoryMarshal.GetReference(destination));
        return scale;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Level(ref float x, nuint offset, Vector256<float> inverse)
    {
        // Round to an integral float first (half to even, like MathF.Round), so the conversion is exact.
        var rounded = Vector256.Round(Vector256.LoadUnsafe(ref x, offset) * inverse);
        return Vector256.Clamp(Vector256.ConvertToInt32(rounded), Vector256.Create(-Q8Format.MaxLevel), Vector256.Create(Q8Format.MaxLevel));
    }
}
