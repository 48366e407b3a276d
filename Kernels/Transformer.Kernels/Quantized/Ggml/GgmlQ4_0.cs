using System.Buffers.Binary;

namespace Transformer.Kernels.Quantized.Ggml;

/// <summary>
/// ggml's Q4_0: blocks of 32 values stored as an f16 scale d and 16 bytes of 4-bit codes q ∈ [0, 15]; value = (q − 8)·d.
/// Byte j holds value j in its low nibble and value j + 16 in its high nibble.
/// </summary>
public static class GgmlQ4_0
{
    /// <summary>Values per block.</summary>
    public const int BlockSize = 32;

    /// <summary>Bytes per block: f16 d + 16 bytes of nibbles.</summary>
    public const int BlockBytes = 2 + BlockSize / 2;

    /// <summary>Scalar reference with the semantics of llama.cpp's <c>dequantize_row_q4_0</c> (the same float operations, so the same bits).</summary>
    public static void DequantizeRow(ReadOnlySpan<byte> blocks, Span<float> destination)
    {
        int count = GgmlBlocks.Count(blocks.Length, BlockBytes, destination.Length, BlockSize, "Q4_0");
        for (int b = 0; b < count; b++)
        {
            var block = blocks.Slice(b * BlockBytes, BlockBytes);
            float d = (float)BinaryPrimitives.ReadHalfLittleEndian(block);
            var qs = block[2..];
            var y = destination.Slice(b * BlockSize, BlockSize);
            for (int j = 0; j < BlockSize / 2; j++)
            {
                y[j] = ((qs[j] & 0x0F) - 8) * d;
                y[j + BlockSize / 2] = ((qs[j] >> 4) - 8) * d;
            }
        }
    }

    /// <summary>
    /// Quantizes whole blocks as llama.cpp's <c>quantize_row_q4_0_ref</c> does: d = m / −8 where m is the block's value
    /// of largest magnitude (its sign kept, so m maps to code 0), codes min(15, trunc(x/d + 8.5)), d stored as f16.
    /// </summary>
    /// <exception cref="ArgumentException">The sizes do not make whole blocks, or a value is not finite.</exception>
    public static void QuantizeRow(ReadOnlySpan<float> source, Span<byte> blocks)
    {
        int count = GgmlBlocks.Count(blocks.Length, BlockBytes, source.Length, BlockSize, "Q4_0");
        for (int b = 0; b < count; b++)
        {
            var x = source.Slice(b * BlockSize, BlockSize);
            float amax = 0f, max = 0f;
            foreach (float v in x)
            {
                if (!float.IsFinite(v)) throw new ArgumentException("cannot quantize a block holding NaN or infinity", nameof(source));
                if (MathF.Abs(v) > amax) { amax = MathF.Abs(v); max = v; }
            }
            float d = max / -8f;
            float id = d != 0f ? 1f / d : 0f;
            var block = blocks.Slice(b * BlockBytes, BlockBytes);
            BinaryPrimitives.WriteHalfLittleEndian(block, (Half)d);
            for (int j = 0; j < BlockSize / 2; j++)
            {
                int low = Math.Min(15, (int)(sbyte)(x[j] * id + 8.5f));
                int high = Math.Min(15, (int)(sbyte)(x[j + BlockSize / 2] * id + 8.5f));
                block[2 + j] = (byte)(low | (high << 4));
            }
        }
    }
}
