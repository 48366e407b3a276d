using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu.Isa;

namespace Transformer.Kernels.Cpu.Ops;

/// <summary>
/// The query heads of one GQA group attending over positions [from, to] of a sequence whose keys and
/// values are paged: logical block i is physical block table[i] of the pool. Each block of the group's
/// keys and values is read (and for F16 pools widened) once for all the group's heads, which share it;
/// per head, scores are computed block by block into one row, softmaxed once, and the weighted sum runs
/// block by block continuing the same lane sums, so each head's result is bitwise
/// <see cref="Attention.Compute"/> over the same positions laid out contiguously on the same ISA, whichever
/// blocks they live in and however many heads share them.
/// </summary>
public static class PagedAttention
{
    /// <summary>
    /// outputs[h] = softmax(queries[h]·Kᵀ·scale)·V over positions [from, to] for the <paramref name="heads"/>
    /// heads whose queries (and outputs) lie one after another, d floats each; scale 1/√d unless
    /// <paramref name="scaleOverride"/> is positive, and scores soft-capped to cap·tanh(s / cap) when
    /// <paramref name="softCap"/> is positive. <paramref name="scores"/> holds at least heads · (to − from + 1)
    /// floats; <paramref name="widened"/> (F16 pools only) at least BlockSize · d. <paramref name="isa"/> picks the
    /// vector loops (<see cref="Attention.Width"/>).
    /// </summary>
    public static void Compute(ReadOnlySpan<float> queries, int heads, CpuKvPool pool, int layer, int kvHead, ReadOnlySpan<int> table,
        int from, int to, Span<float> scores, Span<float> widened, Span<float> outputs, CpuIsa isa, float scaleOverride = 0f, float softCap = 0f)
    {
        int d = queries.Length / heads, blockSize = pool.Shape.BlockSize;
        bool half = pool.Shape.Type == KvDType.F16;
        int length = to - from + 1;
        float scale = scaleOverride > 0 ? scaleOverride : 1f / MathF.Sqrt(d);
        int first = from / blockSize, last = to / blockSize;
        for (int logical = first; logical <= last; logical++)
        {
            // The next block is its own short run elsewhere in the pool: ask for it while this one computes.
            if (logical < last) PrefetchBlock(pool, half, keys: true, layer, table[logical + 1], kvHead);
            else PrefetchBlock(pool, half, keys: false, layer, table[first], kvHead);
            var (offset, count) = Segment(logical, blockSize, from, to);
            var keys = half
                ? Widen(pool.KeysF16(layer, table[logical], kvHead), offset, count, d, widened)
                : pool.KeysF32(layer, table[logical], kvHead).Slice(offset * d, count * d);
            int at = logical * blockSize + offset - from;
            for (int h = 0; h < heads; h++)
                Attention.Scores(queries.Slice(h * d, d), keys, count, scale, scores.Slice(h * length + at, count), isa);
        }
        for (int h = 0; h < heads; h++)
        {
            var row = scores.Slice(h * length, length);
            if (softCap > 0) SoftCap.Compute(row, softCap);
            Softmax.Compute(row, row);
        }
        outputs[..(heads * d)].Clear();
        for (int logical = first; logical <= last; logical++)
        {
            if (logical < last) PrefetchBlock(pool, half, keys: false, layer, table[logical + 1], kvHead);
            var (offset, count) = Segment(logical, blockSize, from, to);
            var values = half
                ? Widen(pool.ValuesF16(layer, table[logical], kvHead), offset, count, d, widened)
                : pool.ValuesF32(layer, table[logical], kvHead).Slice(offset * d, count * d);
            int at = logical * blockSize + offset - from;
            Attention.AccumulateWeighted(scores[at..], length, heads, count, values, outputs[..(heads * d)], isa);
        }
    }

    private static void PrefetchBlock(CpuKvPool pool, bool half, bool keys, int layer, int block, int kvHead)
    {
        if (half) CachePrefetch.Region<Half>(keys ? pool.KeysF16(layer, block, kvHead) : pool.ValuesF16(layer, block, kvHead));
        else CachePrefetch.Region<float>(keys ? pool.KeysF32(layer, block, kvHead) : pool.ValuesF32(layer, block, kvHead));
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
        F16Run.Widen(block.Slice(offset * d, count * d), destination);
        return destination;
    }
}
