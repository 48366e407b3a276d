using ILGPU;
using ILGPU.Runtime;

namespace Transformer.Kernels.Gpu.Kernels;

/// <summary>
/// Matmul and embedding over Q8 weights (int8 values [out, K], one float scale per 32 values along K),
/// dequantized in-kernel: w[o, k] = scale[o, k / 32] · q[o, k]. Activations stay float32, so the result
/// is the f32 matmul of the dequantized matrix; the saving is the bytes streamed from device memory.
/// </summary>
internal static class Q8Kernels
{
    private const int BlockSize = 32;

    /// <summary>One token: one group per output feature, threads striding along K, shared-memory reduction.</summary>
    public static void Gemv(ArrayView<float> x, ArrayView<sbyte> values, ArrayView<float> scales, ArrayView<float> y, int inFeatures,
        SpecializedValue<int> threads)
    {
        var scratch = SharedMemory.Allocate<float>(threads.Value);
        int o = Grid.IdxX;
        int rowStart = o * inFeatures, scaleStart = o * (inFeatures / BlockSize);
        float partial = 0;
        for (int k = Group.IdxX; k < inFeatures; k += threads.Value)
            partial += x[k] * (scales[scaleStart + k / BlockSize] * values[rowStart + k]);
        float total = GroupReduction.Sum(scratch, partial);
        if (Group.IdxX == 0) y[o] = total;
    }

    /// <summary>Many tokens: the tiled GEMM of <see cref="MatMulKernels.Gemm"/>, dequantizing each W tile as it is staged.</summary>
    public static void Gemm(ArrayView<float> x, ArrayView<sbyte> values, ArrayView<float> scales, ArrayView<float> y,
        int tokens, int inFeatures, int outFeatures, SpecializedValue<int> tile)
    {
        int size = tile.Value;
        int stride = size + 1;
        var xTile = SharedMemory.Allocate<float>(size * stride);
        var wTile = SharedMemory.Allocate<float>(size * stride);
        int tx = Group.IdxX, ty = Group.IdxY;
        int outBase = Grid.IdxX * size, tokenBase = Grid.IdxY * size;
        int o = outBase + tx, t = tokenBase + ty;
        int blocksPerRow = inFeatures / BlockSize;
        float acc = 0;
        for (int k0 = 0; k0 < inFeatures; k0 += size)
        {
            int k = k0 + tx;
            int loadToken = tokenBase + ty, loadOut = outBase + ty;
            xTile[ty * stride + tx] = loadToken < tokens && k < inFeatures ? x[loadToken * inFeatures + k] : 0f;
            wTile[ty * stride + tx] = loadOut < outFeatures && k < inFeatures
                ? scales[loadOut * blocksPerRow + k / BlockSize] * values[loadOut * inFeatures + k]
                : 0f;
            Group.Barrier();
            for (int kk = 0; kk < size; kk++)
                acc += xTile[ty * stride + kk] * wTile[tx * stride + kk];
            Group.Barrier();
        }
        if (t < tokens && o < outFeatures) y[t * outFeatures + o] = acc;
    }

    /// <summary>output[t, c] = dequantized table row tokens[t]; index = (t, c).</summary>
    public static void Embed(Index2D index, ArrayView<sbyte> values, ArrayView<float> scales, ArrayView<int> tokens, ArrayView<float> output,
        int columns)
    {
        int t = index.X, c = index.Y;
        int row = tokens[t];
        output[t * columns + c] = scales[row * (columns / BlockSize) + c / BlockSize] * values[row * columns + c];
    }
}
