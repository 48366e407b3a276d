using System.Numerics.Tensors;

namespace Transformer.Kernels.Cpu.Ops;

/// <summary>
/// One query head attending over cached keys and values: out = softmax(q·Kᵀ / sqrt(d)) · V. The two
/// halves are separate calls so paged attention can run them block by block: each position's score and
/// each output lane's weighted sum come out as the same bits whether the positions arrive in one run or
/// in blocks (<see cref="PagedAttention"/>).
/// </summary>
public static class Attention
{
    /// <summary>scores[p] = (query · keys[p]) · scale for positions [0, length); keys are [length, d] row-major.</summary>
    public static void Scores(ReadOnlySpan<float> query, ReadOnlySpan<float> keys, int length, float scale, Span<float> scores)
    {
        int d = query.Length;
        if (AttentionVector256.Supports(d))
        {
            // One TensorPrimitives call per position costs more than its 64-wide dot; the vector
            // loops keep the query in registers across positions instead.
            AttentionVector256.Scores(query, keys, length, scale, scores);
            return;
        }
        for (int p = 0; p < length; p++)
            scores[p] = TensorPrimitives.Dot(query, keys.Slice(p * d, d)) * scale;
    }

    /// <summary>output += Σ_p weights[p] · values[p] over positions [0, weights.Length), continuing each lane's sum.</summary>
    public static void AccumulateWeighted(ReadOnlySpan<float> weights, ReadOnlySpan<float> values, Span<float> output)
    {
        int d = output.Length;
        if (AttentionVector256.Supports(d))
        {
            AttentionVector256.AccumulateWeighted(weights, values, output);
            return;
        }
        for (int p = 0; p < weights.Length; p++)
            TensorPrimitives.MultiplyAdd(values.Slice(p * d, d), weights[p], output, output);
    }

    /// <summary>
    /// Attention over contiguous keys and values [length, d]. scores must hold at least length floats
    /// (caller-owned scratch).
    /// </summary>
    public static void Compute(ReadOnlySpan<float> query, ReadOnlySpan<float> keys, ReadOnlySpan<float> values,
        int length, Span<float> scores, Span<float> output)
    {
        scores = scores[..length];
        Scores(query, keys, length, 1f / MathF.Sqrt(query.Length), scores);
        TensorPrimitives.SoftMax(scores, scores);
        output.Clear();
        AccumulateWeighted(scores, values, output);
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
