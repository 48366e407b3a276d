using ILGPU;
using ILGPU.Runtime;
using ILGPU.Algorithms;

namespace Transformer.Kernels.Gpu.Kernels;

/// <summary>y = x / sqrt(mean(x²) + eps) ⊙ w: one thread group per row, sum of squares reduced in shared memory.</summary>
internal static class RmsNormKernel
{
    /// <summary>Grid: one group per row. threads is the group size, a JIT-time constant sizing the shared scratch.</summary>
    public static void Run(ArrayView<float> input, ArrayView<float> weight, ArrayView<float> output, int columns, float eps,
        SpecializedValue<int> threads)
    {
        var scratch = SharedMemory.Allocate<float>(threads.Value);
        int rowStart = Grid.IdxX * columns;
        float sumSquares = 0;
        for (int c = Group.IdxX; c < columns; c += threads.Value)
        {
            float x = input[rowStart + c];
            sumSquares += x * x;
        }
        float total = GroupReduction.Sum(scratch, sumSquares);
        float inverseRms = 1f / XMath.Sqrt(total / columns + eps);
        for (int c = Group.IdxX; c < columns; c += threads.Value)
            output[rowStart + c] = input[rowStart + c] * inverseRms * weight[c];
    }
}
