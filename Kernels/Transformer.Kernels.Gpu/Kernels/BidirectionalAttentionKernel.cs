using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace Transformer.Kernels.Gpu.Kernels;

/// <summary>
/// Encoder self-attention without a causal mask over packed sequences: a group per (row, head) computes
/// softmax(q·Kᵀ/√d)·V over every row of the row's own sequence, read straight from the k and v tensors (no KV pool).
/// A row's result depends only on its own sequence, so a sentence gives the same bits alone or in a batch.
/// </summary>
internal static class BidirectionalAttentionKernel
{
    /// <summary>
    /// Grid: rows·heads groups of <paramref name="threads"/> (a power of two). q, k, v and output are [rows, columns];
    /// spans[2r] and spans[2r + 1] are the first and last rows of row r's sequence.
    /// </summary>
    public static void Run(ArrayView<float> q, ArrayView<float> k, ArrayView<float> v, ArrayView<int> spans, ArrayView<float> output, int heads,
        int columns, SpecializedValue<int> headDim, SpecializedValue<int> threads)
    {
        int d = headDim.Value;
        int row = Grid.IdxX / heads, head = Grid.IdxX % heads;
        var rows = new PackedRows(columns, head * d);
        AttentionCore.Run(q, row * columns + head * d, new F32Elements(k), new F32Elements(v), rows, spans[2 * row], spans[2 * row + 1],
            1f / XMath.Sqrt(d), 0f, output, headDim, threads);
    }
}
