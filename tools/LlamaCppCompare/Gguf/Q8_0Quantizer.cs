using System.Buffers.Binary;
using System.Numerics.Tensors;

namespace LlamaCppCompare.Gguf;

/// <summary>
/// Quantizes float32 rows to ggml's Q8_0: blocks of 32 weights, each stored as an f16 scale
/// d = max|x| / 127 followed by 32 int8 values round(x / d). An all-zero block gets d = 0 and zeros.
/// </summary>
public static class Q8_0Quantizer
{
    /// <summary>Quantizes <paramref name="values"/> (a whole number of blocks) into <paramref name="destination"/>.</summary>
    public static void Quantize(ReadOnlySpan<float> values, Span<byte> destination)
    {
        const int block = GgmlTypes.Q8_0BlockSize;
        if (values.Length % block != 0) throw new ArgumentException($"Q8_0 input must be a multiple of {block} values, got {values.Length}", nameof(values));
        int blocks = values.Length / block;
        if (destination.Length != blocks * GgmlTypes.Q8_0BlockBytes)
            throw new ArgumentException($"Q8_0 output for {values.Length} values is {blocks * GgmlTypes.Q8_0BlockBytes} bytes, got {destination.Length}", nameof(destination));

        for (int b = 0; b < blocks; b++)
        {
            var x = values.Slice(b * block, block);
            var output = destination.Slice(b * GgmlTypes.Q8_0BlockBytes, GgmlTypes.Q8_0BlockBytes);
            float scale = TensorPrimitives.MaxMagnitude(x);
            scale = MathF.Abs(scale) / 127f;
            float inverse = scale == 0 ? 0 : 1f / scale;
            BinaryPrimitives.WriteHalfLittleEndian(output, (Half)scale);
            for (int i = 0; i < block; i++)
                output[2 + i] = unchecked((byte)(sbyte)MathF.Round(x[i] * inverse, MidpointRounding.AwayFromZero));
        }
    }
}
