using System.Buffers.Binary;
using System.Numerics.Tensors;

namespace LlamaCppCompare.Gguf;

/// <summary>
/// Quantizes float32 rows to ggml's Q8_0: blocks of 32 weights, each stored as an f16 scale
/// d = max|x| / 127 followed by 32 int8 values round(x / d). An all-zero block gets d = 0 and zeros.
/// </summary>
public static class Q8_0Quantizer
{
    /// <summary>Weights per Q8_0 block.</summary>
    public const int BlockSize = 32;

    /// <summary>Bytes per Q8_0 block: f16 scale + 32 int8.</summary>
    public const int BlockBytes = 2 + BlockSize;

    /// <summary>Quantizes <paramref name="values"/> (a whole number of blocks) into <paramref name="destination"/>.</summary>
    public static void Quantize(ReadOnlySpan<float> values, Span<byte> destination)
    {
        const int block = BlockSize;
        if (values.Length % block != 0) throw new ArgumentException($"Q8_0 input must be a multiple of {block} values, got {values.Length}", nameof(values));
        int blocks = values.Length / block;
        if (destination.Length != blocks * BlockBytes)
            throw new ArgumentException($"Q8_0 output for {values.Length} values is {blocks * BlockBytes} bytes, got {destination.Length}", nameof(destination));

        for (int b = 0; b < blocks; b++)
        {
            var x = values.Slice(b * block, block);
            var output = destination.Slice(b * BlockBytes, BlockBytes);
            float scale = TensorPrimitives.MaxMagnitude(x);
            scale = MathF.Abs(scale) / 127f;
            float inverse = scale == 0 ? 0 : 1f / scale;
            BinaryPrimitives.WriteHalfLittleEndian(output, (Half)scale);
            for (int i = 0; i < block; i++)
                output[2 + i] = unchecked((byte)(sbyte)MathF.Round(x[i] * inverse, MidpointRounding.AwayFromZero));
        }
    }
}
