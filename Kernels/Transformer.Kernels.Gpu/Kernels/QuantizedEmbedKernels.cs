using ILGPU;

namespace Transformer.Kernels.Gpu.Kernels;

/// <summary>
/// Embedding lookup in a quantized table, dequantized as the matmul reads it (<see cref="MatMulKernels"/>): a row comes
/// out as exactly the values the same weight's matmul multiplies by.
/// </summary>
internal static class QuantizedEmbedKernels
{
    /// <summary>Q8 table; index = (t, c): output[t, c] = W[tokens[t], c].</summary>
    public static void Q8(Index2D index, ArrayView<sbyte> values, ArrayView<float> scales, ArrayView<int> tokens, ArrayView<float> output, int columns) =>
        Gather(index, new Q8Matrix(values, scales, columns), tokens, output, columns);

    /// <summary>Q4_0 table; see <see cref="Q8"/>.</summary>
    public static void Q4(Index2D index, ArrayView<byte> codes, ArrayView<float> scales, ArrayView<int> tokens, ArrayView<float> output, int columns) =>
        Gather(index, new Q4Matrix(codes, scales, columns), tokens, output, columns);

    /// <summary>Q4_K table; see <see cref="Q8"/>.</summary>
    public static void Q4K(Index2D index, ArrayView<byte> codes, ArrayView<float> scales, ArrayView<float> mins, ArrayView<int> tokens,
        ArrayView<float> output, int columns) =>
        Gather(index, new Q4KMatrix(codes, scales, mins, columns), tokens, output, columns);

    /// <summary>Q6_K table; see <see cref="Q8"/>.</summary>
    public static void Q6K(Index2D index, ArrayView<byte> blocks, ArrayView<float> scales, ArrayView<int> tokens, ArrayView<float> output, int columns) =>
        Gather(index, new Q6KMatrix(blocks, scales, columns), tokens, output, columns);

    private static void Gather<TWeight>(Index2D index, TWeight table, ArrayView<int> tokens, ArrayView<float> output, int columns)
        where TWeight : struct, IWeightMatrix
    {
        int t = index.X, c = index.Y;
        output[t * columns + c] = table.At(tokens[t], c);
    }
}
