using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace Transformer.Kernels.Gpu.Kernels;

/// <summary>
/// Where the head of one attended position starts in the key and value buffers, so the softmax-attention core is
/// written once for the paged KV pool (decoders) and for packed k, v tensors (encoders).
/// </summary>
internal interface IAttendedRows
{
    /// <summary>The index of element 0 of the head at <paramref name="position"/>.</summary>
    int Start(int position);
}

/// <summary>A position of a row's sequence found through its block table in a paged KV pool.</summary>
internal readonly struct PagedRows(ArrayView<int> blockTables, int tableStart, KvLayout kv, int kvHead) : IAttendedRows
{
    public int Start(int position) =>
        kv.SlotStart(blockTables[tableStart + position / kv.BlockSize] * kv.BlockSize + position % kv.BlockSize, kvHead);
}

/// <summary>Row <c>position</c> of a row-major [rows, columns] tensor, at the head's feature offset.</summary>
internal readonly struct PackedRows(int columns, int headOffset) : IAttendedRows
{
    public int Start(int position) => position * columns + headOffset;
}

/// <summary>
/// out = softmax(q·Kᵀ·scale)·V of one query head over positions [from, to], computed by one thread group: the
/// group's threads split a tile's scores, reduce its max and sum, then split the head's features for the weighted
/// sum of values, rescaling the running sum when the max grows (an online softmax), so shared memory stays a few
/// tiles' worth however long the span. The arithmetic depends only on the query, the span and its keys and values
/// (tiles start at <c>from</c>): a row gives the same bits whatever else the launch holds.
/// </summary>
internal static class AttentionCore
{
    /// <summary>Positions per tile.</summary>
    public const int PositionTile = 64;

    /// <summary>
    /// Reads the head at <paramref name="queryStart"/> of <paramref name="q"/> and writes the result at the same index of
    /// <paramref name="output"/>. A soft cap of 0 leaves scores as they are. The span must hold at least one position.
    /// </summary>
    public static void Run<TKv, TRows>(ArrayView<float> q, int queryStart, TKv keys, TKv values, TRows rows, int from, int to, float scale,
        float softCap, ArrayView<float> output, SpecializedValue<int> headDim, SpecializedValue<int> threads)
        where TKv : struct, IKvElements
        where TRows : struct, IAttendedRows
    {
        int d = headDim.Value, groupThreads = threads.Value;
        var query = SharedMemory.Allocate<float>(headDim.Value);
        var accumulator = SharedMemory.Allocate<float>(headDim.Value);
        var weights = SharedMemory.Allocate<float>(PositionTile);
        var starts = SharedMemory.Allocate<int>(PositionTile);
        var scratch = SharedMemory.Allocate<float>(threads.Value);
        int thread = Group.IdxX;

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
                int start = rows.Start(tileStart + j);
                float dot = 0f;
                for (int i = 0; i < d; i++) dot += query[i] * keys.Read(start + i);
                float score = dot * scale;
                if (softCap > 0) score = softCap * XMath.Tanh(score / softCap);
                starts[j] = start;
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
            // The reduction's barriers also publish every thread's weights and starts before the weighted sum reads them.
            float tileSum = GroupReduction.Sum(scratch, localSum);
            float correction = XMath.Exp(runningMax - max);
            runningSum = runningSum * correction + tileSum;
            runningMax = max;

            for (int i = thread; i < d; i += groupThreads)
            {
                float acc = accumulator[i] * correction;
                for (int j = 0; j < count; j++) acc += weights[j] * values.Read(starts[j] + i);
                accumulator[i] = acc;
            }
            // The next tile overwrites the weights and starts.
            Group.Barrier();
        }

        for (int i = thread; i < d; i += groupThreads) output[queryStart + i] = accumulator[i] / runningSum;
    }
}
