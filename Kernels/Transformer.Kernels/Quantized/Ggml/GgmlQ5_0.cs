using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Transformer.Kernels.Quantized.Ggml;

/// <summary>
/// ggml's Q5_0 (blocks of 32: f16 d, 32 high bits qh, 16 bytes of low nibbles qs; value = (q − 16)·d), which llama.cpp's
/// K-quant mixes store where rows are not whole super-blocks. q − 16 ∈ [−16, 15] is an int8 value under its block's
/// scale, so the engine holds a Q5_0 matrix exactly as a <see cref="Q8Weight"/> (<see cref="SplitRow"/>).
/// </summary>
public static class GgmlQ5_0
{
    /// <summary>Values per block.</summary>
    public const int BlockSize = 32;

    /// <summary>Bytes per block: f16 d, 4 bytes of fifth bits, 16 bytes of low nibbles.</summary>
    public const int BlockBytes = 2 + 4 + BlockSize / 2;

    /// <summary>
    /// Scalar reference, as llama.cpp's <c>quantize_row_q5_0_ref</c>: d = m / −16 with m the block's value of largest
    /// magnitude, codes min(31, trunc(x/d + 16.5)); value j's low nibble in byte j (j &lt; 16) or the high nibble of
    /// byte j − 16, its fifth bit in bit j of qh; d stored f16.
    /// </summary>
    /// <exception cref="ArgumentException">The sizes do not match, or a value is not finite.</exception>
    public static void QuantizeRow(ReadOnlySpan<float> values, Span<byte> destination)
    {
        if (values.Length % BlockSize != 0 || destination.Length != values.Length / BlockSize * BlockBytes)
            throw new ArgumentException($"{values.Length} values do not make {destination.Length} bytes of Q5_0 blocks");
        for (int b = 0; b < values.Length / BlockSize; b++)
        {
            var x = values.Slice(b * BlockSize, BlockSize);
            var block = destination.Slice(b * BlockBytes, BlockBytes);
            float amax = 0f, max = 0f;
            foreach (float v in x)
            {
                if (!float.IsFinite(v)) throw new ArgumentException("cannot quantize a block holding NaN or infinity", nameof(values));
                if (amax < MathF.Abs(v)) { amax = MathF.Abs(v); max = v; }
            }
            float d = max / -16f;
            float id = d != 0f ? 1f / d : 0f;
            BinaryPrimitives.WriteHalfLittleEndian(block, (Half)d);
            uint high = 0;
            for (int j = 0; j < BlockSize / 2; j++)
            {
                int low = Code(x[j] * id), up = Code(x[BlockSize / 2 + j] * id);
                block[6 + j] = (byte)((low & 0x0F) | ((up & 0x0F) << 4));
                high |= (uint)((low & 0x10) >> 4) << j;
                high |= (uint)((up & 0x10) >> 4) << (j + BlockSize / 2);
            }
            BinaryPrimitives.WriteUInt32LittleEndian(block[2..], high);
        }

        // C's (int8_t) conversion truncates toward zero; x/d + 16.5 lies in [0.5, 32.5].
        static int Code(float scaled) => Math.Min(31, (int)(sbyte)(scaled + 16.5f));
    }

    /// <summary>One row of Q5_0 blocks as int8 values q − 16 and float32 scales (each f16 d widened exactly).</summary>
    /// <exception cref="ArgumentException">The sizes do not match.</exception>
    public static void SplitRow(ReadOnlySpan<byte> blocks, Span<sbyte> values, Span<float> scales)
    {
        int count = blocks.Length / BlockBytes;
        if (blocks.Length % BlockBytes != 0 || values.Length != count * BlockSize || scales.Length != count)
            throw new ArgumentException($"{blocks.Length} bytes of Q5_0 blocks do not make {values.Length} values and {scales.Length} scales");
        for (int b = 0; b < count; b++)
        {
            var block = blocks.Slice(b * BlockBytes, BlockBytes);
            scales[b] = (float)BinaryPrimitives.ReadHalfLittleEndian(block);
            uint high = BinaryPrimitives.ReadUInt32LittleEndian(block[2..]);
            var q = values.Slice(b * BlockSize, BlockSize);
            for (int j = 0; j < BlockSize / 2; j++)
            {
                q[j] = (sbyte)(((block[6 + j] & 0x0F) | (int)(((high >> j) & 1) << 4)) - 16);
                q[j + BlockSize / 2] = (sbyte)(((block[6 + j] >> 4) | (int)(((high >> (j + BlockSize / 2)) & 1) << 4)) - 16);
            }
        }
    }

    /// <summary>Scalar reference, as llama.cpp's <c>dequantize_row_q5_0</c>: y = (q − 16)·d per block.</summary>
    /// <exception cref="ArgumentException">The sizes do not match.</exception>
    public static void DequantizeRow(ReadOnlySpan<byte> blocks, Span<float> destination)
    {
        var values = new sbyte[destination.Length];
        var scales = new float[blocks.Length / BlockBytes];
        SplitRow(blocks, values, scales);
        for (int i = 0; i < destination.Length; i++) destination[i] = scales[i / BlockSize] * values[i];
    }

    /// <summary>A matrix quantized by <see cref="QuantizeRow"/> and held exactly as a <see cref="Q8Weight"/>.</summary>
    /// <exception cref="ArgumentException">K is not a multiple of 32, shapes do not match, or a value is not finite.</exception>
    public static Q8Weight QuantizeToQ8(ReadOnlySpan<float> matrix, int outFeatures, int inFeatures)
    {
        int blocksPerRow = Q8Format.BlocksPerRow(inFeatures);
        if (outFeatures <= 0 || matrix.Length != (long)outFeatures * inFeatures)
            throw new ArgumentException($"{matrix.Length} values do not fill [{outFeatures}, {inFeatures}]", nameof(matrix));
        var blocks = new byte[(long)outFeatures * blocksPerRow * BlockBytes];
        QuantizeRow(matrix, blocks);
        var values = new byte[matrix.Length];
        var scales = new float[outFeatures * blocksPerRow];
        SplitRow(blocks, MemoryMarshal.Cast<byte, sbyte>(values.AsSpan()), scales);
        return new Q8Weight(outFeatures, inFeatures, values, MemoryMarshal.AsBytes(scales.AsSpan()).ToArray());
    }
}
