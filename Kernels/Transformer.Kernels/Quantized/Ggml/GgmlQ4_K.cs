using System.Buffers.Binary;

namespace Transformer.Kernels.Quantized.Ggml;

/// <summary>
/// ggml's Q4_K: super-blocks of 256 values in 8 sub-blocks of 32. A super-block stores f16 d and dmin, 12 bytes packing
/// a 6-bit scale s and 6-bit minimum m per sub-block, and 128 bytes of 4-bit codes q; value = d·s·q − dmin·m.
/// Each run of 32 code bytes holds two sub-blocks: the first in the low nibbles, the second in the high ones.
/// </summary>
public static class GgmlQ4_K
{
    /// <summary>Values per super-block.</summary>
    public const int BlockSize = 256;

    /// <summary>Bytes per super-block: d, dmin (f16), 12 bytes of scales and minimums, 128 bytes of nibbles.</summary>
    public const int BlockBytes = 2 + 2 + 12 + BlockSize / 2;

    /// <summary>Scalar reference with the semantics of llama.cpp's <c>dequantize_row_q4_K</c> (the same float operations, so the same bits).</summary>
    public static void DequantizeRow(ReadOnlySpan<byte> blocks, Span<float> destination)
    {
        int count = GgmlBlocks.Count(blocks.Length, BlockBytes, destination.Length, BlockSize, "Q4_K");
        for (int b = 0; b < count; b++)
        {
            var block = blocks.Slice(b * BlockBytes, BlockBytes);
            float d = (float)BinaryPrimitives.ReadHalfLittleEndian(block);
            float dmin = (float)BinaryPrimitives.ReadHalfLittleEndian(block[2..]);
            var scales = block.Slice(4, 12);
            var q = block[16..];
            var y = destination.Slice(b * BlockSize, BlockSize);
            for (int chunk = 0; chunk < 4; chunk++)
            {
                var (scaleLow, minLow) = ScaleAndMin(2 * chunk, scales);
                var (scaleHigh, minHigh) = ScaleAndMin(2 * chunk + 1, scales);
                // The products are rounded to float before use, as in ggml: d1 = d·s, m1 = dmin·m, y = d1·q − m1.
                float d1 = d * scaleLow, m1 = dmin * minLow, d2 = d * scaleHigh, m2 = dmin * minHigh;
                var codes = q.Slice(chunk * 32, 32);
                var low = y.Slice(chunk * 64, 32);
                var high = y.Slice(chunk * 64 + 32, 32);
                for (int l = 0; l < 32; l++)
                {
                    low[l] = d1 * (codes[l] & 0x0F) - m1;
                    high[l] = d2 * (codes[l] >> 4) - m2;
                }
            }
        }
    }

    /// <summary>
    /// The 6-bit scale and minimum of sub-block <paramref name="j"/> (0..7). Sub-blocks 0–3 keep theirs in the low six
    /// bits of bytes j and j + 4; sub-blocks 4–7 split theirs: the low four bits in a nibble of byte j + 4, the high two
    /// in the top bits of bytes j − 4 (scale) and j (minimum).
    /// </summary>
    public static (int Scale, int Min) ScaleAndMin(int j, ReadOnlySpan<byte> scales) => j < 4
        ? (scales[j] & 63, scales[j + 4] & 63)
        : ((scales[j + 4] & 0x0F) | ((scales[j - 4] >> 6) << 4), (scales[j + 4] >> 4) | ((scales[j] >> 6) << 4));
}
