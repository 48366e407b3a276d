using ILGPU;

namespace Transformer.Kernels.Gpu.Kernels;

/// <summary>Embedding lookup in a Q8 table (the Q8 matmul is <see cref="MatMulKernels.Q8"/>).</summary>
internal static class Q8Kernels
{
    /// <summary>output[t, c] = dequantized table row tokens[t]; index = (t, c).</summary>
    public static void Embed(Index2D index, ArrayView<sbyte> values, ArrayView<float> scales, ArrayView<int> tokens, ArrayView<float> output,
        int columns)
    {
        int t = index.X, c = index.Y;
        output[t * columns + c] = new Q8Matrix(values, scales, columns).At(tokens[t], c);
    }
}
