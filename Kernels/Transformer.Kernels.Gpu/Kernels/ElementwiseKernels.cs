using ILGPU;
using ILGPU.Algorithms;

namespace Transformer.Kernels.Gpu.Kernels;

/// <summary>One-thread-per-element kernels: SwiGLU, residual add, bias add, embedding gather, row gather.</summary>
internal static class ElementwiseKernels
{
    /// <summary>output[i] = silu(gate[i]) · up[i], silu(g) = g / (1 + e^−g).</summary>
    public static void SwiGlu(Index1D i, ArrayView<float> gate, ArrayView<float> up, ArrayView<float> output)
    {
        float g = gate[i];
        output[i] = g / (1f + XMath.Exp(-g)) * up[i];
    }

    /// <summary>output[i] = gelu_tanh(gate[i]) · up[i] (GeGLU, as the CPU's Ops.GeGlu).</summary>
    public static void GeGlu(Index1D i, ArrayView<float> gate, ArrayView<float> up, ArrayView<float> output)
    {
        float g = gate[i];
        float inner = 0.7978845608f * (g + 0.044715f * g * g * g); // √(2/π) · (g + κ·g³)
        output[i] = 0.5f * g * (1f + XMath.Tanh(inner)) * up[i];
    }

    /// <summary>x[i] *= factor.</summary>
    public static void Scale(Index1D i, ArrayView<float> x, float factor) => x[i] *= factor;

    /// <summary>x[i] = cap · tanh(x[i] / cap).</summary>
    public static void SoftCap(Index1D i, ArrayView<float> x, float cap) => x[i] = cap * XMath.Tanh(x[i] / cap);

    /// <summary>x[i] += y[i].</summary>
    public static void Add(Index1D i, ArrayView<float> x, ArrayView<float> y) => x[i] += y[i];

    /// <summary>x[i] += bias[i mod columns]: the same bias row added to every row.</summary>
    public static void AddBias(Index1D i, ArrayView<float> x, ArrayView<float> bias, int columns) => x[i] += bias[i % columns];

    /// <summary>output[t, c] = table[tokens[t], c]; index = (t, c).</summary>
    public static void Embed(Index2D index, ArrayView<float> table, ArrayView<int> tokens, ArrayView<float> output, int columns)
    {
        int t = index.X, c = index.Y;
        output[t * columns + c] = table[tokens[t] * columns + c];
    }

    /// <summary>destination[r, c] = source[rows[r], c]; index = (r, c).</summary>
    public static void GatherRows(Index2D index, ArrayView<float> source, ArrayView<int> rows, ArrayView<float> destination, int columns)
    {
        int r = index.X, c = index.Y;
        destination[r * columns + c] = source[rows[r] * columns + c];
    }
}
