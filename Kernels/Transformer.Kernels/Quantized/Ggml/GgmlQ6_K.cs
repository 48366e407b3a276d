using System.Buffers.Binary;

namespace Transformer.Kernels.Quantized.Ggml;

/// <summary>
/// ggml's Q6_K: super-blocks of 256 values in 16 sub-blocks of 16, each with a signed 8-bit scale s. A value's 6-bit
/// code is 4 low bits (in <c>ql</c>, 128 bytes) and 2 high bits (in <c>qh</c>, 64 bytes); value = d·s·(code − 32),
/// d the super-block's f16 scale (stored last). Each half of 128 values packs four runs of 32: runs 0 and 2 in the
/// low and high nibbles of ql[0..32), runs 1 and 3 in those of ql[32..64), their high bits in successive bit pairs
/// of qh[0..32).
/// </summary>
public static class GgmlQ6_K
{
    /// <summary>Values per super-block.</summary>
    public const int BlockSize = 256;

    /// <summary>Bytes per super-block: ql (128), qh (64), 16 int8 scales, f16 d.</summary>
    public const int BlockBytes = BlockSize / 2 + BlockSize / 4 + BlockSize / 16 + 2;

    /// <summary>Scalar reference with the semantics of llama.cpp's <c>dequantize_row_q6_K</c> (the same float operations, so the same bits).</summary>
    public static void DequantizeRow(ReadOnlySpan<byte> blocks, Span<float> destination)
    {
        int count = GgmlBlocks.Count(blocks.Length, BlockBytes, destination.Length, BlockSize, "Q6_K");
        for (int b = 0; b < count; b++)
        {
            var block = blocks.Slice(b * BlockBytes, BlockBytes);
            var ql = block[..128];
            var qh = block.Slice(128, 64);
            var scales = block.Slice(192, 16);
            float d = (float)BinaryPrimitives.ReadHalfLittleEndian(block[208..]);
            for (int half = 0; half < 2; half++)
            {
                var low = ql.Slice(half * 64, 64);
                var high = qh.Slice(half * 32, 32);
                var sc = scales.Slice(half * 8, 8);
                var y = destination.Slice(b * BlockSize + half * 128, 128);
                for (int l = 0; l < 32; l++)
                {
                    int s = l / 16;
                    int q1 = ((low[l] & 0x0F) | ((high[l] & 3) << 4)) - 32;
                    int q2 = ((low[l + 32] & 0x0F) | (((high[l] >> 2) & 3) << 4)) - 32;
                    int q3 = ((low[l] >> 4) | (((high[l] >> 4) & 3) << 4)) - 32;
                    int q4 = ((low[l + 32] >> 4) | (((high[l] >> 6) & 3) << 4)) - 32;
                    // (d·s)·q, rounded in that order, as ggml evaluates d * sc[is] * q.
                    y[l] = d * (sbyte)sc[s] * q1;
                    y[l + 32] = d * (sbyte)sc[s + 2] * q2;
                    y[l + 64] = d * (sbyte)sc[s + 4] * q3;
                    y[l + 96] = d * (sbyte)sc[s + 6] * q4;
                }
            }
        }
    }

    /// <summary>
    /// Quantizes whole super-blocks as llama.cpp's <c>quantize_row_q6_K_ref</c> does: per sub-block of 16 a scale from
    /// <see cref="GgmlKQuantSearch.MakeQx"/> (nmax 32); the scales quantized to int8 against the one of largest
    /// magnitude (d = that scale / −128, as f16); then the 6-bit codes recomputed against the stored d·s.
    /// </summary>
    /// <remarks>The search runs as <see cref="GgmlKQuantLaneSearch"/> (the same bits). A long span (a whole matrix) is split into
    /// ranges of super-blocks quantized in parallel: every super-block depends on its own values alone, so the bytes are the same.</remarks>
    /// <exception cref="ArgumentException">The sizes do not make whole super-blocks, or a value is not finite.</exception>
    public static void QuantizeRow(ReadOnlySpan<float> source, Span<byte> blocks)
    {
        int count = GgmlBlocks.Count(blocks.Length, BlockBytes, source.Length, BlockSize, "Q6_K");
        GgmlParallelBlocks.Run(source, blocks, count, BlockSize, BlockBytes, QuantizeBlocks);
    }

    /// <summary>The super-blocks of <see cref="QuantizeRow"/>, one after another (sizes already checked).</summary>
    private static void QuantizeBlocks(ReadOnlySpan<float> source, Span<byte> blocks)
    {
        int count = blocks.Length / BlockBytes;
        Span<sbyte> codes = stackalloc sbyte[BlockSize];
        Span<float> scales = stackalloc float[16];
        for (int b = 0; b < count; b++)
        {
            var x = source.Slice(b * BlockSize, BlockSize);
            foreach (float v in x)
                if (!float.IsFinite(v)) throw new ArgumentException("cannot quantize a block holding NaN or infinity", nameof(source));
            var block = blocks.Slice(b * BlockBytes, BlockBytes);
            float maxScale = 0, maxAbsScale = 0;
            for (int j = 0; j < 16; j++)
            {
                scales[j] = GgmlKQuantLaneSearch.MakeQx(x.Slice(16 * j, 16), 32, codes.Slice(16 * j, 16));
                float abs = MathF.Abs(scales[j]);
                if (abs > maxAbsScale) { maxAbsScale = abs; maxScale = scales[j]; }
            }
            if (maxAbsScale < GgmlKQuantSearch.GroupMaxEps)
            {
                block.Clear();
                continue;
            }
            float iscale = -128f / maxScale;
            var d = (Half)(1 / iscale);
            BinaryPrimitives.WriteHalfLittleEndian(block[208..], d);
            var sc = block.Slice(192, 16);
            for (int j = 0; j < 16; j++) sc[j] = unchecked((byte)(sbyte)Math.Min(127, GgmlKQuantSearch.NearestInt(iscale * scales[j])));
            for (int j = 0; j < 16; j++)
            {
                float dj = (float)d * (sbyte)sc[j];
                if (dj == 0) continue; // the search's codes stay, as in ggml
                for (int i = 0; i < 16; i++)
                    codes[16 * j + i] = (sbyte)(Math.Max(-32, Math.Min(31, GgmlKQuantSearch.NearestInt(x[16 * j + i] / dj))) + 32);
            }
            var ql = block[..128];
            var qh = block.Slice(128, 64);
            for (int half = 0; half < 2; half++)
                for (int l = 0; l < 32; l++)
                {
                    int at = 128 * half + l;
                    int q1 = codes[at], q2 = codes[at + 32], q3 = codes[at + 64], q4 = codes[at + 96];
                    ql[64 * half + l] = (byte)((q1 & 0x0F) | ((q3 & 0x0F) << 4));
                    ql[64 * half + l + 32] = (byte)((q2 & 0x0F) | ((q4 & 0x0F) << 4));
                    qh[32 * half + l] = (byte)((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
                }
        }
    }
}
