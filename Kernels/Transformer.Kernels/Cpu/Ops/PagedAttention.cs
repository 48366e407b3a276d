using System.Numerics.Tensors;
using Transformer.Kernels.Backend;

namespace Transformer.Kernels.Cpu.Ops;

/// <summary>
/// One query head attending over positions [from, to] of a sequence whose keys and values are paged:
/// logical block i is physical block table[i] of the pool. Scores are computed block by block into one
/// row, softmaxed once, and the weighted sum runs block by block continuing the same lane sums, so the
/// result is bitwise <see cref="Attention.Compute"/> over the same positions laid out contiguously,
/// whichever blocks they live in. F16 pools widen one block segment at a time into float scratch.
/// </summary>
public static class PagedAttention
{
    /// <summary>
    /// out = softmax(q·Kᵀ·scale)·V over positions [from, to], scale 1/√d unless <paramref name="scaleOverride"/>
    /// is positive, and scores soft-capped to cap·tanh(s / cap) when <paramref name="softCap"/> is positive.
    /// <paramref name="scores"/> holds at least to − from + 1 floats; <paramref name="widened"/> (F16 pools only)
    /// at least BlockSize · d.
    /// </summary>
    public static void Compute(ReadOnlySpan<float> query, CpuKvPool pool, int layer, int kvHead, ReadOnlySpan<int> table,
        int from, int to, Span<float> scores, Span<float> widened, Span<float> output, float scaleOverride = 0f, float softCap = 0f)
    {
        int d = query.Length, blockSize = pool.Shape.BlockSize;
        bool half = pool.Shape.Type == KvDType.F16;
        int length = to - from + 1;
        scores = scores[..length];
        float scale = scaleOverride > 0 ? scaleOverride : 1f / MathF.Sqrt(d);
        for (int logical = from / blockSize; logical <= to / blockSize; logical++)
        {
            var (offset, count) = Segment(logical, blockSize, from, to);
            var keys = half
                ? Widen(pool.KeysF16(layer, table[logical], kvHead), offset, count, d, widened)
                : pool.KeysF32(layer, table[logical], kvHead).Slice(offset * d, count * d);
            Attention.Scores(query, keys, count, scale, scores.Slice(logical * blockSize + offset - from, count));
        }
        if (softCap > 0) SoftCap.Compute(scores, softCap);
        TensorPrimitives.SoftMax(scores, scores);
        output.Clear();
        for (int logical = from / blockSize; logical <= to / blockSize; logical++)
        {
            var (offset, count) = Segment(logical, blockSize, from, to);
            var values = half
                ? Widen(pool.ValuesF16(layer, table[logical], kvHead), offset, count, d, widened)
                : pool.ValuesF32(layer, table[logical], kvHead).Slice(offset * d, count * d);
            Attention.AccumulateWeighted(scores.Slice(logical * blockSize + offset - from, count), values, output);
        }
    }

    /// <summary>The first slot and the slot count of a logical block that lie within [from, to].</summary>
    private static (int Offset, int Count) Segment(int logical, int blockSize, int from, int to)
    {
        int first = Math.Max(from, logical * blockSize);
        int last = Math.Min(to, logical * blockSize + blockSize - 1);
        return (first - logical * blockSize, last - first + 1);
    }

    private static ReadOnlySpan<float> Widen(ReadOnlySpan<Half> block, int offset, int count, int d, Span<float> widened)
    {
        var destination = widened[..(count * d)];
        TensorPrimitives.ConvertToSingle(block.Slice(offset * d, count * d), destination);
        return destination;
    }
}
