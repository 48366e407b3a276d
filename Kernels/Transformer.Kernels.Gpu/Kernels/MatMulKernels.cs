using ILGPU;
using ILGPU.Runtime;

namespace Transformer.Kernels.Gpu.Kernels;

/// <summary>
/// y[t, o] = Σ_k x[t, k] · W[o, k] for float32 weights in PyTorch [out, in] orientation.
/// GEMV for one token (bandwidth-bound: each weight row is read once, coalesced along k);
/// a shared-memory tiled GEMM for many tokens (each weight tile is reused by a tile of tokens).
/// </summary>
internal static class MatMulKernels
{
    /// <summary>
    /// One token. Grid: one group per output feature; the group's threads stride along k and the
    /// partial dot products are reduced in shared memory.
    /// </summary>
    public static void Gemv(ArrayView<float> x, ArrayView<float> weight, ArrayView<float> y, int inFeatures, SpecializedValue<int> threads)
    {
        var scratch = SharedMemory.Allocate<float>(threads.Value);
        int o = Grid.IdxX;
        int rowStart = o * inFeatures;
        float partial = 0;
        for (int k = Group.IdxX; k < inFeatures; k += threads.Value)
            partial += x[k] * weight[rowStart + k];
        float total = GroupReduction.Sum(scratch, partial);
        if (Group.IdxX == 0) y[o] = total;
    }

    /// <summary>
    /// Many tokens. Grid: (output tiles, token tiles); group: tile × tile threads, thread (tx, ty)
    /// computing y[token tile row ty, output tile column tx]. Each step stages a tile of x and of W
    /// (both read along k, so loads are coalesced) in shared memory. The W tile row is padded by one
    /// float so threads of a warp reading a column hit different banks.
    /// </summary>
    public static void Gemm(ArrayView<float> x, ArrayView<float> weight, ArrayView<float> y, int tokens, int inFeatures, int outFeatures,
        SpecializedValue<int> tile)
    {
        int size = tile.Value;
        int stride = size + 1;
        var xTile = SharedMemory.Allocate<float>(size * stride);
        var wTile = SharedMemory.Allocate<float>(size * stride);
        int tx = Group.IdxX, ty = Group.IdxY;
        int outBase = Grid.IdxX * size, tokenBase = Grid.IdxY * size;
        int o = outBase + tx, t = tokenBase + ty;
        float acc = 0;
        for (int k0 = 0; k0 < inFeatures; k0 += size)
        {
            int k = k0 + tx;
            int loadToken = tokenBase + ty, loadOut = outBase + ty;
            xTile[ty * stride + tx] = loadToken < tokens && k < inFeatures ? x[loadToken * inFeatures + k] : 0f;
            wTile[ty * stride + tx] = loadOut < outFeatures && k < inFeatures ? weight[loadOut * inFeatures + k] : 0f;
            Group.Barrier();
            for (int kk = 0; kk < size; kk++)
                acc += xTile[ty * stride + kk] * wTile[tx * stride + kk];
            Group.Barrier();
        }
        if (t < tokens && o < outFeatures) y[t * outFeatures + o] = acc;
    }
}
