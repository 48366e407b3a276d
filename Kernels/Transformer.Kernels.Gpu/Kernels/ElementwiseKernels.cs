using ILGPU;
using ILGPU.Algorithms;

namespace Transformer.Kernels.Gpu.Kernels;

/// <summary>One-thread-per-element kernels: SwiGLU, residual add, bias add, embedding gather, KV store.</summary>
internal static class ElementwiseKernels
{
    /// <summary>output[i] = silu(gate[i]) · up[i], silu(g) = g / (1 + e^−g).</summary>
    public static void SwiGlu(Index1D i, ArrayView<float> gate, ArrayView<float> up, ArrayView<float> output)
    {
        float g = gate[i];
        output[i] = g / (1f + XMath.Exp(-g)) * up[i];
    }

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

    /// <summary>
    /// Copies k, v rows [T, kvHeads·headDim] into the cache at positions startPosition + t of one layer;
    /// index = (t, feature). The cache is [layer][kvHead][position][headDim].
    /// </summary>
    public static void StoreKv(Index2D index, ArrayView<float> k, ArrayView<float> v, ArrayView<float> keys, ArrayView<float> values,
        KvStoreShape shape)
    {
        int t = index.X, feature = index.Y;
        int head = feature / shape.HeadDim, i = feature % shape.HeadDim;
        int destination = shape.LayerOffset + (head * shape.Capacity + shape.StartPosition + t) * shape.HeadDim + i;
        int source = t * shape.Columns + feature;
        keys[destination] = k[source];
        values[destination] = v[source];
    }
}

/// <summary>Where <see cref="ElementwiseKernels.StoreKv"/> writes: one struct keeps the kernel signature short.</summary>
internal readonly record struct KvStoreShape(int Columns, int LayerOffset, int Capacity, int HeadDim, int StartPosition);
