using System.Buffers.Binary;

namespace Transformer.Kernels.Quantized.Ggml;

/// <summary>ggml's Q8_0: blocks of 32 values stored as an f16 scale d and 32 int8 q; value = d·q.</summary>
public static class GgmlQ8_0
{
    /// <summary>Values per block.</summary>
    public const int BlockSize = 32;

    /// <summary>Bytes per block: f16 scale + 32 int8.</summary>
    public const int BlockBytes = 2 + BlockSize;

    /// <summary>
    /// Quantizes whole blocks as ggml's reference quantizer (<c>quantize_row_q8_0_ref</c>) does: d = max|x| / 127,
    /// q = round(x / d) with halves away from zero, d stored as f16 (q is computed with the unrounded d).
    /// </summary>
    public static void QuantizeRow(ReadOnlySpan<float> values, Span<byte> destination)
    {
        if (values.Length % BlockSize != 0 || destination.Length != values.Length / BlockSize * BlockBytes)
            throw new ArgumentException($"{values.Length} values do not make {destination.Length} bytes of Q8_0 blocks");
        for (int b = 0; b < values.Length / BlockSize; b++)
        {
            var x = values.Slice(b * BlockSize, BlockSize);
            var block = destination.Slice(b * BlockBytes, BlockBytes);
            float amax = 0;
            foreach (float v in x) amax = MathF.Max(amax, MathF.Abs(v));
            float d = amax / 127f;
            float inverse = d != 0 ? 1f / d : 0f;
            BinaryPrimitives.WriteHalfLittleEndian(block, (Half)d);
            for (int i = 0; i < BlockSize; i++)
                block[2 + i] = unchecked((byte)(sbyte)MathF.Round(x[i] * inverse, MidpointRounding.AwayFromZero));
        }
    }

    /// <summary>Scalar reference, as llama.cpp's <c>dequantize_row_q8_0</c>: y = d·q per block.</summary>
    public static void DequantizeRow(ReadOnlySpan<byte> blocks, Span<float> destination)
    {
        if (blocks.Length % BlockBytes != 0 || destination.Length != blocks.Length / BlockBytes * BlockSize)
            throw new ArgumentException($"{blocks.Length} bytes of Q8_0 blocks do not make {destination.Length} values");
        for (int b = 0; b < blocks.Length / BlockBytes; b++)
        {
            var block = blocks.Slice(b * BlockBytes, BlockBytes);
            float d = (float)BinaryPrimitives.ReadHalfLittleEndian(block);
            for (int i = 0; i < BlockSize; i++) destination[b * BlockSize + i] = d * (sbyte)block[2 + i];
        }
    }

    /// <summary>
    /// A matrix quantized by <see cref="QuantizeRow"/> and held as a <see cref="Q8Weight"/>: the same int8 values, each
    /// block's f16 d widened exactly (llama.cpp's reference quantizer never writes −128, so every value fits).
    /// </summary>
    public static Q8Weight QuantizeToQ8(ReadOnlySpan<float> matrix, int outFeatures, int inFeatures)
    {
        int blocksPerRow = Q8Format.BlocksPerRow(inFeatures);
        if (outFeatures <= 0 || matrix.Length != (long)outFeatures * inFeatures)
            throw new ArgumentException($"{matrix.Length} values do not fill [{outFeatures}, {inFeatures}]", nameof(matrix));
        var blocks = new byte[matrix.Length / BlockSize * BlockBytes];
        QuantizeRow(matrix, blocks);
        var values = new byte[matrix.Length];
        var scales = new float[outFeatures * blocksPerRow];
        for (int b = 0; b < scales.Length; b++)
        {
            scales[b] = (float)BinaryPrimitives.ReadHalfLittleEndian(blocks.AsSpan(b * BlockBytes));
            blocks.AsSpan(b * BlockBytes + 2, BlockSize).CopyTo(values.AsSpan(b * BlockSize));
        }
        return new Q8Weight(outFeatures, inFeatures, values, System.Runtime.InteropServices.MemoryMarshal.AsBytes(scales.AsSpan()).ToArray());
    }
}
