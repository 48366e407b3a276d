using System.Numerics.Tensors;
using Transformer.Kernels.Cpu.Isa;

namespace Transformer.Kernels.Cpu.Ops;

/// <summary>
/// One query head attending over cached keys and values: out = softmax(q·Kᵀ / sqrt(d)) · V. The two
/// halves are separate calls so paged attention can run them block by block: each position's score and
/// each output lane's weighted sum come out as the same bits whether the positions arrive in one run or
/// in blocks (<see cref="PagedAttention"/>). The loops follow the backend's ISA (<see cref="Width"/>), so each path
/// can be forced and tested.
/// </summary>
public static class Attention
{
    /// <summary>The vector width the loops run at for <paramref name="isa"/> and head size <paramref name="d"/>: 512, 256, or 0 (TensorPrimitives per position).</summary>
    public static int Width(CpuIsa isa, int d) => isa switch
    {
        CpuIsa.Avx512 when AttentionVector512.Supports(d) => 512,
        CpuIsa.Avx512 or CpuIsa.Avx2 or CpuIsa.AvxVnni when AttentionVector256.Supports(d) => 256,
        _ => 0,
    };

    /// <summary>scores[p] = (query · keys[p]) · scale for positions [0, length); keys are [length, d] row-major.</summary>
    /// <remarks>The sum order depends on the width (<see cref="Width"/>), never on the positions' grouping or the caller.</remarks>
    public static void Scores(ReadOnlySpan<float> query, ReadOnlySpan<float> keys, int length, float scale, Span<float> scores, CpuIsa isa)
    {
        int d = query.Length;
        switch (Width(isa, d))
        {
            // One TensorPrimitives call per position costs more than its 64-wide dot; the vector
            // loops keep the query in registers across positions instead.
            case 512:
                AttentionVector512.Scores(query, keys, length, scale, scores);
                return;
            case 256:
                AttentionVector256.Scores(query, keys, length, scale, scores);
                return;
        }
        for (int p = 0; p < length; p++)
            scores[p] = TensorPrimitives.Dot(query, keys.Slice(p * d, d)) * scale;
    }

    /// <summary>
    /// outputs[h] += Σ_p weights[h · weightStride + p] · values[p] over positions [0, count), for <paramref name="heads"/>
    /// heads whose outputs (d floats each) lie one after another, continuing each lane's sum. Each lane adds in
    /// position order at every width, so the result is the same bits for every ISA with a vector path.
    /// </summary>
    public static void AccumulateWeighted(ReadOnlySpan<float> weights, int weightStride, int heads, int count, ReadOnlySpan<float> values,
        Span<float> outputs, CpuIsa isa)
    {
        int d = outputs.Length / heads;
        switch (Width(isa, d))
        {
            case 512:
                AttentionVector512.AccumulateWeighted(weights, weightStride, heads, count, values, outputs);
                return;
            case 256:
                for (int h = 0; h < heads; h++)
                    AttentionVector256.AccumulateWeighted(weights.Slice(h * weightStride, count), values, outputs.Slice(h * d, d));
                return;
        }
        for (int h = 0; h < heads; h++)
        {
            var output = outputs.Slice(h * d, d);
            for (int p = 0; p < count; p++)
                TensorPrimitives.MultiplyAdd(values.Slice(p * d, d), weights[h * weightStride + p], output, output);
        }
    }

    /// <summary>
    /// Attention over contiguous keys and values [length, d] on <paramref name="isa"/>'s loops. scores must hold at
    /// least length floats (caller-owned scratch).
    /// </summary>
    public static void Compute(ReadOnlySpan<float> query, ReadOnlySpan<float> keys, ReadOnlySpan<float> values,
        int length, Span<float> scores, Span<float> output, CpuIsa isa)
    {
        scores = scores[..length];
        Scores(query, keys, length, 1f / MathF.Sqrt(query.Length), scores, isa);
        Softmax.Compute(scores, scores);
        output.Clear();
        AccumulateWeighted(scores, length, 1, length, values, output, isa);
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
