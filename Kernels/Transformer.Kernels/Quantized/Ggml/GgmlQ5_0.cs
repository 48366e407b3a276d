namespace Transformer.Kernels.Quantized.Ggml;

/// <summary>
/// ggml's Q5_0 values (blocks of 32, f16 d, 5-bit codes q; value = (q − 16)·d), which llama.cpp's K-quant mixes store
/// where rows are not whole super-blocks. Only the values are needed here: q − 16 ∈ [−16, 15] is an int8 value under its
/// block's scale, so a Q5_0 matrix is held exactly as a <see cref="Q8Weight"/>.
/// </summary>
public static class GgmlQ5_0
{
    /// <summary>Values per block.</summary>
    public const int BlockSize = 32;

    /// <summary>
    /// Quantizes a matrix as llama.cpp's <c>quantize_row_q5_0_ref</c> does — d = m / −16 with m the block's value of
    /// largest magnitude, codes min(31, trunc(x/d + 16.5)), d rounded to f16 — and returns the values q − 16 with d.
    /// </summary>
    /// <exception cref="ArgumentException">K is not a multiple of 32, shapes do not match, or a value is not finite.</exception>
    public static Q8Weight QuantizeToQ8(ReadOnlySpan<float> matrix, int outFeatures, int inFeatures)
    {
        int blocksPerRow = Q8Format.BlocksPerRow(inFeatures);
        if (outFeatures <= 0 || matrix.Length != (long)outFeatures * inFeatures)
            throw new ArgumentException($"{matrix.Length} values do not fill [{outFeatures}, {inFeatures}]", nameof(matrix));
        var values = new byte[matrix.Length];
        var scales = new float[outFeatures * blocksPerRow];
        for (int b = 0; b < scales.Length; b++)
        {
            var x = matrix.Slice(b * BlockSize, BlockSize);
            float amax = 0f, max = 0f;
            foreach (float v in x)
            {
                if (!float.IsFinite(v)) throw new ArgumentException("cannot quantize a block holding NaN or infinity", nameof(matrix));
                if (amax < MathF.Abs(v)) { amax = MathF.Abs(v); max = v; }
            }
            float d = max / -16f;
            float id = d != 0f ? 1f / d : 0f;
            scales[b] = (float)(Half)d;
            for (int i = 0; i < BlockSize; i++)
                values[b * BlockSize + i] = unchecked((byte)(sbyte)(Math.Min(31, (int)(sbyte)(x[i] * id + 16.5f)) - 16));
        }
        return new Q8Weight(outFeatures, inFeatures, values, System.Runtime.InteropServices.MemoryMarshal.AsBytes(scales.AsSpan()).ToArray());
    }
}
