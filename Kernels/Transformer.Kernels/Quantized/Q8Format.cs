using System.Numerics.Tensors;

namespace Transformer.Kernels.Quantized;

/// <summary>
/// The Q8 format: symmetric int8 in blocks of <see cref="BlockSize"/> consecutive values along K,
/// one float32 scale per block, value ≈ scale · q with q ∈ [−127, 127].
/// </summary>
/// <remarks>
/// <para>Why ±127 and not −128: the AVX2 and AVX-VNNI kernels multiply |w| (unsigned) by
/// sign(w)·x, and sign(w)·(−128) does not fit in a signed byte, so −128 would give a wrong
/// product. Keeping the range symmetric makes every path exact.</para>
/// <para>Why 32: it is GGUF's Q8_0 block, so accuracy is the one people know, one block is one
/// 256-bit register of int8 (or one 512-bit register once widened to int16), and the per-block
/// int32 sum (at most 32·127² = 516 128) converts to float exactly.</para>
/// <para>Why separate arrays (int8 values [out, K] then float scales [out, K/32]) rather than
/// GGUF's interleaved 34-byte blocks: every block of values starts 32-byte aligned relative to
/// its row, a row's values are one contiguous run for the prefetcher, the scales are read as
/// plain floats, and a pre-quantized safetensors file stores exactly these two tensors (I8
/// values + F32 scales) so it maps without conversion. The measured GEMV speed of the two
/// layouts is in Bench/Transformer.Bench/README.md.</para>
/// </remarks>
public static class Q8Format
{
    /// <summary>Values per block along K.</summary>
    public const int BlockSize = 32;

    /// <summary>The largest quantized magnitude.</summary>
    public const int MaxLevel = 127;

    /// <summary>Blocks in a row of <paramref name="inFeatures"/> values.</summary>
    /// <exception cref="ArgumentException">K is not a positive multiple of the block size.</exception>
    public static int BlocksPerRow(int inFeatures)
    {
        if (inFeatures <= 0 || inFeatures % BlockSize != 0)
            throw new ArgumentException(
                $"Q8 needs the input dimension K to be a positive multiple of {BlockSize}, got {inFeatures}; " +
                "keep this weight in f32 instead", nameof(inFeatures));
        return inFeatures / BlockSize;
    }

    /// <summary>
    /// Quantizes one block: scale = max|x| / 127, q = round-half-even(x / scale). A block whose
    /// scale would not be a normal float (all zero, or every |x| below about 1.5·10⁻³⁶) is flushed
    /// to scale 0 and all-zero q: no division by zero, no NaN, and no imprecise subnormal scale.
    /// </summary>
    /// <returns>The block's scale.</returns>
    /// <exception cref="ArgumentException">The block holds a NaN or an infinity.</exception>
    public static float QuantizeBlock(ReadOnlySpan<float> source, Span<sbyte> destination)
    {
        if (source.Length != BlockSize || destination.Length != BlockSize)
            throw new ArgumentException($"a Q8 block has {BlockSize} values, got {source.Length} → {destination.Length}");
        float amax = MathF.Abs(TensorPrimitives.MaxMagnitude(source));
        if (!float.IsFinite(amax))
            throw new ArgumentException("cannot quantize a block holding NaN or infinity", nameof(source));
        float scale = amax / MaxLevel;
        if (!float.IsNormal(scale))
        {
            destination.Clear();
            return 0f;
        }
        // Multiplying by the reciprocal is exact enough (|x/scale − x·inverse| ≤ 127·2⁻²³, within
        // 0.01% of half a step) and, unlike division, keeps the per-token activation quantization
        // cheap. A normal scale keeps the reciprocal finite.
        float inverse = MaxLevel / amax;
        for (int i = 0; i < BlockSize; i++)
            destination[i] = (sbyte)Math.Clamp((int)MathF.Round(source[i] * inverse), -MaxLevel, MaxLevel);
        return scale;
    }

    /// <summary>
    /// Quantizes a row of whole blocks; <paramref name="scales"/> gets one scale per block. Gives
    /// exactly what <see cref="QuantizeBlock"/> gives block by block (SIMD where the CPU has it).
    /// </summary>
    public static void QuantizeRow(ReadOnlySpan<float> source, Span<sbyte> values, Span<float> scales)
    {
        int blocks = BlocksPerRow(source.Length);
        if (values.Length != source.Length || scales.Length != blocks)
            throw new ArgumentException($"row of {source.Length} needs {source.Length} values and {blocks} scales, got {values.Length} and {scales.Length}");
        if (Q8QuantizeSimd.IsSupported)
        {
            // Same arithmetic as QuantizeBlock, lane-wise (tests hold the two equal bitwise); this
            // runs once per matmul input per token, so the scalar loop was a visible share of prefill.
            for (int b = 0; b < blocks; b++)
                scales[b] = Q8QuantizeSimd.QuantizeBlock(source.Slice(b * BlockSize, BlockSize), values.Slice(b * BlockSize, BlockSize));
            return;
        }
        for (int b = 0; b < blocks; b++)
            scales[b] = QuantizeBlock(source.Slice(b * BlockSize, BlockSize), values.Slice(b * BlockSize, BlockSize));
    }

    /// <summary>Scalar reference: destination[i] = scale[i / 32] · q[i].</summary>
    public static void DequantizeRow(ReadOnlySpan<sbyte> values, ReadOnlySpan<float> scales, Span<float> destination)
    {
        int blocks = BlocksPerRow(values.Length);
        if (scales.Length != blocks || destination.Length != values.Length)
            throw new ArgumentException($"row of {values.Length} needs {blocks} scales and {values.Length} outputs, got {scales.Length} and {destination.Length}");
        for (int i = 0; i < values.Length; i++) destination[i] = scales[i / BlockSize] * values[i];
    }
}
