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
/// <remarks>The online softmax over tiles of positions is <see cref="AttentionCore"/>, shared with the encoders' attention.</remarks>
internal static class PagedAttentionKernel
{
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
        int d = headDim.Value;
        int row = Grid.IdxX / shape.Heads, head = Grid.IdxX % shape.Heads;
        int to = positions[row];
        // A per-layer window (Gemma's sliding layers) narrows the step's span; see AttentionOptions.FirstAttended.
        int from = shape.Window > 0 ? XMath.Max(attendFrom[row], to - shape.Window + 1) : attendFrom[row];
        var rows = new PagedRows(blockTables, tableStart[row], shape.Kv, head / shape.GqaGroup);
        float scale = shape.Scale > 0 ? shape.Scale : 1f / XMath.Sqrt(d);
        AttentionCore.Run(q, row * shape.QueryColumns + head * d, keys, values, rows, from, to, scale, shape.SoftCap, output, headDim, threads);
    }
}

/// <summary>
/// Shape of an attention launch: query heads, QueryColumns = heads·headDim, GqaGroup = query heads per
/// KV head, the layer's place in the pool, and the call's options (0 = off: scale 1/√d, no soft cap, no window).
/// </summary>
internal readonly record struct AttentionShape(int Heads, int QueryColumns, int GqaGroup, KvLayout Kv, float Scale, float SoftCap, int Window);
