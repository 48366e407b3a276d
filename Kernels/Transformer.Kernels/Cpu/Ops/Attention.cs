using System.Numerics.Tensors;

namespace Transformer.Kernels.Cpu.Ops;

/// <summary>
/// One query head attending over a head's cached keys and values:
/// out = softmax(q·Kᵀ / sqrt(d)) · V over positions [0, length).
/// </summary>
public static class Attention
{
    /// <summary>Vectorised path. scores must hold at least length floats (caller-owned scratch).</summary>
    public static void Compute(ReadOnlySpan<float> query, ReadOnlySpan<float> keys, ReadOnlySpan<float> values,
        int length, Span<float> scores, Span<float> output)
    {
        int d = query.Length;
        float scale = 1f / MathF.Sqrt(d);
        scores = scores[..length];
        if (AttentionVector256.Supports(d))
        {
            // One TensorPrimitives call per position costs more than its 64-wide dot; the vector
            // loops keep the query and the output row in registers across positions instead.
            AttentionVector256.Scores(query, keys, length, scale, scores);
            TensorPrimitives.SoftMax(scores, scores);
            AttentionVector256.WeightedSum(scores, values, output);
            return;
        }
        for (int p = 0; p < length; p++)
            scores[p] = TensorPrimitives.Dot(query, keys.Slice(p * d, d)) * scale;
        TensorPrimitives.SoftMax(scores, scores);
        output.Clear();
        for (int p = 0; p < length; p++)
            TensorPrimitives.MultiplyAdd(values.Slice(p * d, d), scores[p], output, output);
    }

    /// <summary>Scalar reference with a max-subtracted softmax.</summary>
    public static void Reference(ReadOnlySpan<float> query, ReadOnlySpan<float> keys, ReadOnlySpan<float> values,
        int length, Span<float> output)
    {
        int d = query.Length;
        var scores = new float[length];
        float max = float.NegativeInfinity;
        for (int p = 0; p < length; p++)
        {
            float s = 0;
            for (int i = 0; i < d; i++) s += query[i] * keys[p * d + i];
            scores[p] = s / MathF.Sqrt(d);
            max = MathF.Max(max, scores[p]);
        }
        float sum = 0;
        for (int p = 0; p < length; p++) { scores[p] = MathF.Exp(scores[p] - max); sum += scores[p]; }
        for (int i = 0; i < d; i++)
        {
            float acc = 0;
            for (int p = 0; p < length; p++) acc += scores[p] / sum * values[p * d + i];
            output[i] = acc;
        }
    }
}
