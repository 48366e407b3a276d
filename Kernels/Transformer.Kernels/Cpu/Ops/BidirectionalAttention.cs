using System.Numerics.Tensors;

namespace Transformer.Kernels.Cpu.Ops;

/// <summary>
/// Encoder self-attention of one query row and one head over every row of its own sequence, before and after it
/// (no causal mask): out = softmax(q·Kᵀ·scale)·V. Rows are [features] with the head at <c>head·headDim</c>; the
/// sequence's keys and values are rows <c>0..length</c> of <c>keys</c> and <c>values</c>,
/// each <c>stride</c> floats apart.
/// </summary>
public static class BidirectionalAttention
{
    /// <summary>Vectorised path (TensorPrimitives). <paramref name="scores"/> holds at least <paramref name="length"/> floats.</summary>
    public static void Compute(ReadOnlySpan<float> query, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, int length, int stride,
        int offset, int headDim, float scale, Span<float> scores, Span<float> output)
    {
        var s = scores[..length];
        for (int j = 0; j < length; j++)
            s[j] = TensorPrimitives.Dot(query, keys.Slice(j * stride + offset, headDim)) * scale;
        float max = TensorPrimitives.Max(s);
        TensorPrimitives.Subtract(s, max, s);                         // the largest score becomes exp(0): no overflow
        TensorPrimitives.Exp(s, s);
        float inverseSum = 1f / TensorPrimitives.Sum(s);
        output.Clear();
        for (int j = 0; j < length; j++)
            TensorPrimitives.MultiplyAdd(values.Slice(j * stride + offset, headDim), s[j] * inverseSum, output, output);
    }

    /// <summary>Scalar reference: the definition, one element at a time.</summary>
    public static void Reference(ReadOnlySpan<float> query, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, int length, int stride,
        int offset, int headDim, float scale, Span<float> scores, Span<float> output)
    {
        float max = float.NegativeInfinity;
        for (int j = 0; j < length; j++)
        {
            float dot = 0;
            for (int i = 0; i < headDim; i++) dot += query[i] * keys[j * stride + offset + i];
            scores[j] = dot * scale;
            max = MathF.Max(max, scores[j]);
        }
        float sum = 0;
        for (int j = 0; j < length; j++) sum += scores[j] = MathF.Exp(scores[j] - max);
        for (int i = 0; i < headDim; i++)
        {
            float acc = 0;
            for (int j = 0; j < length; j++) acc += scores[j] / sum * values[j * stride + offset + i];
            output[i] = acc;
        }
    }
}
