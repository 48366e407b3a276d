using ILGPU;
using ILGPU.Runtime;
using ILGPU.Algorithms;

namespace Transformer.Kernels.Gpu.Kernels;

/// <summary>
/// Causal grouped-query attention over the device KV cache ([layer][kvHead][position][headDim]):
/// out = softmax(q·Kᵀ / sqrt(d)) · V, query row t seeing positions [0, startPosition + t].
/// </summary>
internal static class AttentionKernels
{
    /// <summary>
    /// Decode: one query row. Grid: one group per query head. The group's threads split the cached
    /// positions (the long axis when decoding), write scores to a global scratch row, reduce max and
    /// sum in shared memory, then split the head's features for the weighted sum of values.
    /// </summary>
    public static void Decode(ArrayView<float> q, ArrayView<float> keys, ArrayView<float> values, ArrayView<float> scores,
        ArrayView<float> output, AttentionShape shape, SpecializedValue<int> headDim, SpecializedValue<int> threads)
    {
        int d = headDim.Value;
        var query = SharedMemory.Allocate<float>(headDim.Value);
        var scratch = SharedMemory.Allocate<float>(threads.Value);
        int head = Grid.IdxX, thread = Group.IdxX;
        int headBase = shape.LayerOffset + head / shape.GqaGroup * shape.Capacity * d;
        int length = shape.StartPosition + 1;
        int scoreBase = head * shape.Capacity;
        float scale = 1f / XMath.Sqrt(d);

        for (int i = thread; i < d; i += threads.Value) query[i] = q[head * d + i];
        Group.Barrier();

        float localMax = float.NegativeInfinity;
        for (int p = thread; p < length; p += threads.Value)
        {
            float dot = 0;
            for (int i = 0; i < d; i++) dot += query[i] * keys[headBase + p * d + i];
            float s = dot * scale;
            scores[scoreBase + p] = s;
            localMax = XMath.Max(localMax, s);
        }
        float max = GroupReduction.Max(scratch, localMax);

        float localSum = 0;
        for (int p = thread; p < length; p += threads.Value)
        {
            float e = XMath.Exp(scores[scoreBase + p] - max);
            scores[scoreBase + p] = e;
            localSum += e;
        }
        // The reduction's barriers also publish every thread's exponentials before the weighted sum reads them.
        float sum = GroupReduction.Sum(scratch, localSum);

        for (int i = thread; i < d; i += threads.Value)
        {
            float acc = 0;
            for (int p = 0; p < length; p++) acc += scores[scoreBase + p] * values[headBase + p * d + i];
            output[head * d + i] = acc / sum;
        }
    }

    /// <summary>
    /// Prefill: many query rows. Grid: (query tiles, heads). A group owns queryTile rows of one head and
    /// streams the head's keys and values through shared memory keyTile positions at a time, so each
    /// key is loaded once per tile of queries instead of once per query; the softmax is computed online
    /// (running max and sum per row, the accumulator rescaled when the max grows).
    /// </summary>
    public static void Prefill(ArrayView<float> q, ArrayView<float> keys, ArrayView<float> values, ArrayView<float> output,
        AttentionShape shape, SpecializedValue<int> headDim, SpecializedValue<int> queryTile, SpecializedValue<int> keyTile)
    {
        int d = headDim.Value, qt = queryTile.Value, kt = keyTile.Value;
        var queries = SharedMemory.Allocate<float>(queryTile.Value * headDim.Value);
        var accumulators = SharedMemory.Allocate<float>(queryTile.Value * headDim.Value);
        var keyBlock = SharedMemory.Allocate<float>(keyTile.Value * headDim.Value);
        var valueBlock = SharedMemory.Allocate<float>(keyTile.Value * headDim.Value);
        var weights = SharedMemory.Allocate<float>(queryTile.Value * keyTile.Value);
        var runningMax = SharedMemory.Allocate<float>(queryTile.Value);
        var runningSum = SharedMemory.Allocate<float>(queryTile.Value);
        var correction = SharedMemory.Allocate<float>(queryTile.Value);

        int head = Grid.IdxY, thread = Group.IdxX, threads = Group.DimX;
        int firstRow = Grid.IdxX * qt;
        int headBase = shape.LayerOffset + head / shape.GqaGroup * shape.Capacity * d;
        float scale = 1f / XMath.Sqrt(d);

        for (int e = thread; e < qt * d; e += threads)
        {
            int t = firstRow + e / d;
            queries[e] = t < shape.Rows ? q[t * shape.QueryColumns + head * d + e % d] * scale : 0f;
            accumulators[e] = 0f;
        }
        for (int r = thread; r < qt; r += threads)
        {
            runningMax[r] = float.NegativeInfinity;
            runningSum[r] = 0f;
        }
        Group.Barrier();

        // The tile's last row sees the most positions; rows before it mask the excess.
        int lastRow = XMath.Min(firstRow + qt, shape.Rows) - 1;
        int keyEnd = shape.StartPosition + lastRow + 1;
        for (int k0 = 0; k0 < keyEnd; k0 += kt)
        {
            for (int e = thread; e < kt * d; e += threads)
            {
                int p = k0 + e / d;
                bool inRange = p < keyEnd;
                keyBlock[e] = inRange ? keys[headBase + p * d + e % d] : 0f;
                valueBlock[e] = inRange ? values[headBase + p * d + e % d] : 0f;
            }
            Group.Barrier();

            for (int e = thread; e < qt * kt; e += threads)
            {
                int r = e / kt, j = e % kt;
                int t = firstRow + r, p = k0 + j;
                float s = float.NegativeInfinity;
                if (t < shape.Rows && p <= shape.StartPosition + t)
                {
                    s = 0f;
                    for (int i = 0; i < d; i++) s += queries[r * d + i] * keyBlock[j * d + i];
                }
                weights[e] = s;
            }
            Group.Barrier();

            for (int r = thread; r < qt; r += threads)
            {
                if (firstRow + r < shape.Rows)
                {
                    float newMax = runningMax[r];
                    for (int j = 0; j < kt; j++) newMax = XMath.Max(newMax, weights[r * kt + j]);
                    // Position 0 is in the first block and visible to every row, so newMax is finite here.
                    float sum = 0f;
                    for (int j = 0; j < kt; j++)
                    {
                        float w = XMath.Exp(weights[r * kt + j] - newMax);
                        weights[r * kt + j] = w;
                        sum += w;
                    }
                    float factor = XMath.Exp(runningMax[r] - newMax);
                    correction[r] = factor;
                    runningSum[r] = runningSum[r] * factor + sum;
                    runningMax[r] = newMax;
                }
                else
                {
                    correction[r] = 0f;
                    for (int j = 0; j < kt; j++) weights[r * kt + j] = 0f;
                }
            }
            Group.Barrier();

            for (int e = thread; e < qt * d; e += threads)
            {
                int r = e / d, i = e % d;
                float acc = accumulators[e] * correction[r];
                for (int j = 0; j < kt; j++) acc += weights[r * kt + j] * valueBlock[j * d + i];
                accumulators[e] = acc;
            }
            Group.Barrier();
        }

        for (int e = thread; e < qt * d; e += threads)
        {
            int r = e / d;
            int t = firstRow + r;
            if (t < shape.Rows) output[t * shape.QueryColumns + head * d + e % d] = accumulators[e] / runningSum[r];
        }
    }
}

/// <summary>
/// Shape of an attention launch. QueryColumns = heads·headDim; GqaGroup = query heads per KV head;
/// LayerOffset = first cache element of the layer; Rows = query rows.
/// </summary>
internal readonly record struct AttentionShape(int Rows, int QueryColumns, int LayerOffset, int Capacity, int GqaGroup, int StartPosition);
