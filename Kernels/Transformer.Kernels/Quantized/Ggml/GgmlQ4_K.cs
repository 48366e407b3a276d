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

    /// <summary>
    /// Quantizes whole super-blocks as llama.cpp's <c>quantize_row_q4_K_ref</c> does (what its quantizer runs without an
    /// importance matrix): per sub-block of 32, codes, scale and minimum from <see cref="GgmlKQuantSearch.MakeQkx2"/>
    /// weighted by rms + |x|; the scales and minimums quantized to 6 bits against the largest of each (d, dmin as f16);
    /// then the codes recomputed against the 6-bit scale and minimum actually stored.
    /// </summary>
    /// <remarks>The search runs as <see cref="GgmlKQuantLaneSearch"/> (the same bits). A long span (a whole matrix) is split into
    /// ranges of super-blocks quantized in parallel: every super-block depends on its own values alone, so the bytes are the same.</remarks>
    /// <exception cref="ArgumentException">The sizes do not make whole super-blocks, or a value is not finite.</exception>
    public static void QuantizeRow(ReadOnlySpan<float> source, Span<byte> blocks)
    {
        int count = GgmlBlocks.Count(blocks.Length, BlockBytes, source.Length, BlockSize, "Q4_K");
        GgmlParallelBlocks.Run(source, blocks, count, BlockSize, BlockBytes, QuantizeBlocks);
    }

    /// <summary>The super-blocks of <see cref="QuantizeRow"/>, one after another (sizes already checked).</summary>
    private static void QuantizeBlocks(ReadOnlySpan<float> source, Span<byte> blocks)
    {
        int count = blocks.Length / BlockBytes;
        Span<byte> codes = stackalloc byte[BlockSize];
        Span<byte> scratch = stackalloc byte[32];
        Span<float> weights = stackalloc float[32];
        Span<float> scales = stackalloc float[8];
        Span<float> mins = stackalloc float[8];
        for (int b = 0; b < count; b++)
        {
            var x = source.Slice(b * BlockSize, BlockSize);
            foreach (float v in x)
                if (!float.IsFinite(v)) throw new ArgumentException("cannot quantize a block holding NaN or infinity", nameof(source));
            float maxScale = 0, maxMin = 0;
            for (int j = 0; j < 8; j++)
            {
                var group = x.Slice(32 * j, 32);
                float sumX2 = 0;
                foreach (float v in group) sumX2 += v * v;
                float average = MathF.Sqrt(sumX2 / 32);
                for (int l = 0; l < 32; l++) weights[l] = average + MathF.Abs(group[l]);
                scales[j] = GgmlKQuantLaneSearch.MakeQkx2(group, weights, 15, codes.Slice(32 * j, 32), scratch, -1f, 0.1f, 20, false, out mins[j]);
                if (scales[j] > maxScale) maxScale = scales[j];
                if (mins[j] > maxMin) maxMin = mins[j];
            }

            var block = blocks.Slice(b * BlockBytes, BlockBytes);
            block.Clear();
            var packed = block.Slice(4, 12);
            float inverseScale = maxScale > 0 ? 63f / maxScale : 0f;
            float inverseMin = maxMin > 0 ? 63f / maxMin : 0f;
            for (int j = 0; j < 8; j++)
            {
                // ggml stores nearest_int into a uint8_t before clamping: a negative result wraps, then clamps to 63.
                int ls = Math.Min(63, (int)unchecked((byte)GgmlKQuantSearch.NearestInt(inverseScale * scales[j])));
                int lm = Math.Min(63, (int)unchecked((byte)GgmlKQuantSearch.NearestInt(inverseMin * mins[j])));
                if (j < 4)
                {
                    packed[j] = (byte)ls;
                    packed[j + 4] = (byte)lm;
                }
                else
                {
                    packed[j + 4] = (byte)((ls & 0x0F) | ((lm & 0x0F) << 4));
                    packed[j - 4] |= (byte)((ls >> 4) << 6);
                    packed[j] |= (byte)((lm >> 4) << 6);
                }
            }
            var d = (Half)(maxScale / 63f);
            var dmin = (Half)(maxMin / 63f);
            BinaryPrimitives.WriteHalfLittleEndian(block, d);
            BinaryPrimitives.WriteHalfLittleEndian(block[2..], dmin);

            for (int j = 0; j < 8; j++)
            {
                var (sc, m) = ScaleAndMin(j, packed);
                float dj = (float)d * sc;
                if (dj == 0) continue; // the search's codes stay, as in ggml
                float mj = (float)dmin * m;
                for (int i = 0; i < 32; i++)
                    codes[32 * j + i] = (byte)Math.Max(0, Math.Min(15, GgmlKQuantSearch.NearestInt((x[32 * j + i] + mj) / dj)));
            }
            var q = block[16..];
            for (int run = 0; run < 4; run++)
                for (int l = 0; l < 32; l++)
                    q[32 * run + l] = (byte)(codes[64 * run + l] | (codes[64 * run + l + 32] << 4));
        }
    }
}
