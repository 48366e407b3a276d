using ILGPU;
using ILGPU.Runtime;

namespace Transformer.Kernels.Gpu.Kernels;

/// <summary>
/// Index of the largest value of one row, lowest index on ties, computed by a single thread group so a
/// greedy decoder copies back one int instead of the whole vocabulary row.
/// </summary>
internal static class ArgmaxKernel
{
    /// <summary>Grid: one group. result[0] receives the index.</summary>
    public static void Run(ArrayView<float> row, ArrayView<int> result, int length, SpecializedValue<int> threads)
    {
        var bestValues = SharedMemory.Allocate<float>(threads.Value);
        var bestIndices = SharedMemory.Allocate<int>(threads.Value);
        int thread = Group.IdxX;
        float best = float.NegativeInfinity;
        int bestIndex = length;
        // Each thread walks its indices upward, so a strictly-greater test keeps its lowest index on ties.
        for (int i = thread; i < length; i += threads.Value)
        {
            float v = row[i];
            if (v > best || bestIndex == length)
            {
                best = v;
                bestIndex = i;
            }
        }
        bestValues[thread] = best;
        bestIndices[thread] = bestIndex;
        Group.Barrier();
        for (int stride = threads.Value / 2; stride > 0; stride /= 2)
        {
            if (thread < stride)
            {
                float other = bestValues[thread + stride];
                int otherIndex = bestIndices[thread + stride];
                if (otherIndex < length && (other > bestValues[thread] || (other == bestValues[thread] && otherIndex < bestIndices[thread])))
                {
                    bestValues[thread] = other;
                    bestIndices[thread] = otherIndex;
                }
            }
            Group.Barrier();
        }
        if (thread == 0) result[0] = bestIndices[0];
    }
}
