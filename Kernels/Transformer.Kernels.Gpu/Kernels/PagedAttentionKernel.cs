using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace Transformer.Kernels.Gpu.Kernels;

/// <summary>
/// Causal grouped-query attention over a paged KV pool, one kernel for every row count: a group per
/// (row, query head) computes out = softmax(q·Kᵀ/√d)·V over the row's positions [AttendFrom, Position],
/// finding each position's block through the row's block table. Each group reads only its own row, and
/// its arithmetic depends only on that row's query, span and keys and values (tiles start at the row's
/// AttendFrom), never on the other rows of the step: a row comes out as the same bits alone or beside
/// others, and prefilled in one pass or in chunks.
/// </summary>
/// <remarks>
/// Positions go through in tiles of <see cref="PositionTile"/>: the group's threads split a tile's scores,
/// reduce its max and sum, then split the head's features for the weighted sum of values, rescaling the
/// running sum when the max grows (an online softmax), so shared memory stays a few tiles' worth however
/// long the sequence.
/// </remarks>
internal static class PagedAttentionKernel
{
    /// <summary>Positions per tile.</summary>
    public const int PositionTile = 64;

    /// <summary>F32 pool. Grid: rows·heads groups of <paramref name="threads"/> (a power of two).</summary>
    public static void F32(ArrayView<float> q, ArrayView<float> keys, ArrayView<float> values, ArrayView<int> positions, ArrayView<int> attendFrom,
        ArrayView<int> tableStart, ArrayView<int> blockTables, ArrayView<float> output, AttentionShape shape, SpecializedValue<int> headDim,
        SpecializedValue<int> threads) =>
        Run(q, new F32Elements(keys), new F32Elements(values), positions, attendFrom, tableStart, blockTables, output, shape, headDim, threads);

    /// <summary>F16 pool; see <see cref="F32"/>.</summary>
    public static void F16(ArrayView<float> q, ArrayView<ushort> keys, ArrayView<ushort> values, ArrayView<int> positions, ArrayView<int> attendFrom,
        ArrayView<int> tableStart, ArrayView<int> blockTables, ArrayView<float> output, AttentionShape shape, SpecializedValue<int> headDim,
        SpecializedValue<int> threads) =>
        Run(q, new F16Elements(keys), new F16Elements(values), positions, attendFrom, tableStart, blockTables, output, shape, headDim, threads);

    private static void Run<TKv>(ArrayView<float> q, TKv keys, TKv values, ArrayView<int> positions, ArrayView<int> attendFrom,
        ArrayView<int> tableStart, ArrayView<int> blockTables, ArrayView<float> output, AttentionShape shape, SpecializedValue<int> headDim,
        SpecializedValue<int> threads)
        where TKv : struct, IKvElements
    {
        int d = headDim.Value, groupThreads = threads.Value;
        var query = SharedMemory.Allocate<float>(headDim.Value);
        var accumulator = SharedMemory.Allocate<float>(headDim.Value);
        var weights = SharedMemory.Allocate<float>(PositionTile);
        var slotStarts = SharedMemory.Allocate<int>(PositionTile);
        var scratch = SharedMemory.Allocate<float>(threads.Value);

        int row = Grid.IdxX / shape.Heads, head = Grid.IdxX % shape.Heads, thread = Group.IdxX;
        int to = positions[row], table = tableStart[row];
        // A per-layer window (Gemma's sliding layers) narrows the step's span; see AttentionOptions.FirstAttended.
        int from = shape.Window > 0 ? XMath.Max(attendFrom[row], to - shape.Window + 1) : attendFrom[row];
        int kvHead = head / shape.GqaGroup;
        int queryStart = row * shape.QueryColumns + head * d;
        var kv = shape.Kv;
        float scale = shape.Scale > 0 ? shape.Scale : 1f / XMath.Sqrt(d);

        for (int i = thread; i < d; i += groupThreads)
        {
            query[i] = q[queryStart + i];
            accumulator[i] = 0f;
        }
        Group.Barrier();

        float runningMax = float.NegativeInfinity, runningSum = 0f;
        for (int tileStart = from; tileStart <= to; tileStart += PositionTile)
        {
            int count = XMath.Min(PositionTile, to - tileStart + 1);
            float localMax = float.NegativeInfinity;
            for (int j = thread; j < count; j += groupThreads)
            {
                int p = tileStart + j;
                int slot = blockTables[table + p / kv.BlockSize] * kv.BlockSize + p % kv.BlockSize;
                int start = kv.SlotStart(slot, kvHead);
                float dot = 0f;
                for (int i = 0; i < d; i++) dot += query[i] * keys.Read(start + i);
                float score = dot * scale;
                if (shape.SoftCap > 0) score = shape.SoftCap * XMath.Tanh(score / shape.SoftCap);
                slotStarts[j] = start;
                weights[j] = score;
                localMax = XMath.Max(localMax, score);
            }
            // Every tile has at least one position, so the new max is finite and exp(−∞ − max) = 0 on the first tile.
            float max = XMath.Max(runningMax, GroupReduction.Max(scratch, localMax));
            float localSum = 0f;
            for (int j = thread; j < count; j += groupThreads)
            {
                float e = XMath.Exp(weights[j] - max);
                weights[j] = e;
                localSum += e;
            }
            // The reduction's barriers also publish every thread's weights and slots before the weighted sum reads them.
            float tileSum = GroupReduction.Sum(scratch, localSum);
            float correction = XMath.Exp(runningMax - max);
            runningSum = runningSum * correction + tileSum;
            runningMax = max;

            for (int i = thread; i < d; i += groupThreads)
            {
                float acc = accumulator[i] * correction;
                for (int j = 0; j < count; j++) acc += weights[j] * values.Read(slotStarts[j] + i);
                accumulator[i] = acc;
            }
            // The next tile overwrites the weights and slots.
            Group.Barrier();
        }

        for (int i = thread; i < d; i += groupThreads) output[queryStart + i] = accumulator[i] / runningSum;
    }
}

/// <summary>
/// Shape of an attention launch: query heads, QueryColumns = heads·headDim, GqaGroup = query heads per
/// KV head, the layer's place in the pool, and the call's options (0 = off: scale 1/√d, no soft cap, no window).
/// </summary>
internal readonly record struct AttentionShape(int Heads, int QueryColumns, int GqaGroup, KvLayout Kv, float Scale, float SoftCap, int Window);
