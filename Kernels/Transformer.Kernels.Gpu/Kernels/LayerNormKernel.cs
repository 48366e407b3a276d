using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace Transformer.Kernels.Gpu.Kernels;

/// <summary>
/// y = (x − mean) / sqrt(var + eps) ⊙ w + b with the population variance (BERT's LayerNorm): one thread group per
/// row, the sum and then the centred sum of squares reduced in shared memory.
/// </summary>
internal static class LayerNormKernel
{
    /// <summary>
    /// Grid: one group per row. threads is the group size, a JIT-time constant sizing the shared scratch. output may be
    /// input: every read of a row happens before the reductions' barriers, and each thread then rewrites only what it read.
    /// </summary>
    public static void Run(ArrayView<float> input, ArrayView<float> weight, ArrayView<float> bias, ArrayView<float> output, int columns, float eps,
        SpecializedValue<int> threads)
    {
        var scratch = SharedMemory.Allocate<float>(threads.Value);
        int rowStart = Grid.IdxX * columns;
        float sum = 0;
        for (int c = Group.IdxX; c < columns; c += threads.Value) sum += input[rowStart + c];
        float mean = GroupReduction.Sum(scratch, sum) / columns;
        // Centred before squaring, as the CPU paths do, so the variance does not cancel.
        float squares = 0;
        for (int c = Group.IdxX; c < columns; c += threads.Value)
        {
            float centred = input[rowStart + c] - mean;
            squares += centred * centred;
        }
        float inverseDeviation = 1f / XMath.Sqrt(GroupReduction.Sum(scratch, squares) / columns + eps);
        for (int c = Group.IdxX; c < columns; c += threads.Value)
            output[rowStart + c] = (input[rowStart + c] - mean) * inverseDeviation * weight[c] + bias[c];
    }
}
