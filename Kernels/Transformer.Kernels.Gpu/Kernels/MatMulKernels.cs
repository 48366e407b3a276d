using ILGPU;
using ILGPU.Runtime;

namespace Transformer.Kernels.Gpu.Kernels;

/// <summary>
/// y[t, o] = Σ_k x[t, k] · W[o, k] for weights in PyTorch [out, in] orientation, one kernel for every row
/// count. A group computes one output feature for up to <see cref="RowsPerGroup"/> rows: its threads
/// stride along k (each weight row is read once per group, coalesced), each keeping one running sum per
/// row, and the partial sums are reduced in shared memory by a fixed tree. Every row's sum therefore runs
/// in one order — thread t adds k = t, t + threads, … in turn, then the tree adds the threads' sums —
/// whatever the number of rows and wherever the row sits in the step: a row's result is the same bits
/// alone or in a batch (issue 8, item 5), where the former GEMV-for-one-row / tiled-GEMM-for-many pair
/// summed in two different orders.
/// </summary>
internal static class MatMulKernels
{
    /// <summary>Rows one group computes (the four sums s0–s3 below): the weight row it reads is reused this many times.</summary>
    public const int RowsPerGroup = 4;

    /// <summary>float32 weights. Grid: (out, ⌈rows / RowsPerGroup⌉) groups of <paramref name="threads"/> (a power of two).</summary>
    public static void F32(ArrayView<float> x, ArrayView<float> weight, ArrayView<float> y, int rows, int inFeatures, int outFeatures,
        SpecializedValue<int> threads) =>
        Run(x, new F32Matrix(weight, inFeatures), y, rows, inFeatures, outFeatures, threads);

    /// <summary>Q8 weights; see <see cref="F32"/>.</summary>
    public static void Q8(ArrayView<float> x, ArrayView<sbyte> values, ArrayView<float> scales, ArrayView<float> y, int rows, int inFeatures,
        int outFeatures, SpecializedValue<int> threads) =>
        Run(x, new Q8Matrix(values, scales, inFeatures), y, rows, inFeatures, outFeatures, threads);

    /// <summary>Q4_0 weights as stored (codes [out, K/2], scales [out, K/32]); see <see cref="F32"/>.</summary>
    public static void Q4(ArrayView<float> x, ArrayView<byte> codes, ArrayView<float> scales, ArrayView<float> y, int rows, int inFeatures,
        int outFeatures, SpecializedValue<int> threads) =>
        Run(x, new Q4Matrix(codes, scales, inFeatures), y, rows, inFeatures, outFeatures, threads);

    /// <summary>Q4_K weights as stored (codes [out, K/2], scales and minimums [out, K/32]); see <see cref="F32"/>.</summary>
    public static void Q4K(ArrayView<float> x, ArrayView<byte> codes, ArrayView<float> scales, ArrayView<float> mins, ArrayView<float> y, int rows,
        int inFeatures, int outFeatures, SpecializedValue<int> threads) =>
        Run(x, new Q4KMatrix(codes, scales, mins, inFeatures), y, rows, inFeatures, outFeatures, threads);

    /// <summary>Q6_K weights as stored (blocks [out, K/32·26], scales [out, K/32]); see <see cref="F32"/>.</summary>
    public static void Q6K(ArrayView<float> x, ArrayView<byte> blocks, ArrayView<float> scales, ArrayView<float> y, int rows, int inFeatures,
        int outFeatures, SpecializedValue<int> threads) =>
        Run(x, new Q6KMatrix(blocks, scales, inFeatures), y, rows, inFeatures, outFeatures, threads);

    private static void Run<TWeight>(ArrayView<float> x, TWeight weight, ArrayView<float> y, int rows, int inFeatures, int outFeatures,
        SpecializedValue<int> threads)
        where TWeight : struct, IWeightMatrix
    {
        int t = threads.Value;
        var partials = SharedMemory.Allocate<float>(RowsPerGroup * threads.Value);
        int o = Grid.IdxX, thread = Group.IdxX;
        int first = Grid.IdxY * RowsPerGroup;
        int count = rows - first < RowsPerGroup ? rows - first : RowsPerGroup;
        // The same statement updates every row's sum, so no row's arithmetic differs from another's.
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
        int x0 = first * inFeatures, x1 = x0 + inFeatures, x2 = x1 + inFeatures, x3 = x2 + inFeatures;
        for (int k = thread; k < inFeatures; k += t)
        {
            float w = weight.At(o, k);
            s0 += x[x0 + k] * w;
            if (count > 1) s1 += x[x1 + k] * w;
            if (count > 2) s2 += x[x2 + k] * w;
            if (count > 3) s3 += x[x3 + k] * w;
        }
        partials[thread] = s0;
        partials[t + thread] = s1;
        partials[2 * t + thread] = s2;
        partials[3 * t + thread] = s3;
        Group.Barrier();
        for (int stride = t / 2; stride > 0; stride /= 2)
        {
            if (thread < stride)
            {
                for (int r = 0; r < RowsPerGroup; r++) partials[r * t + thread] += partials[r * t + thread + stride];
            }
            Group.Barrier();
        }
        for (int r = thread; r < count; r += t) y[(first + r) * outFeatures + o] = partials[r * t];
    }
}
