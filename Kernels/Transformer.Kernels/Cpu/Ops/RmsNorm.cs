using System.Numerics.Tensors;

namespace Transformer.Kernels.Cpu.Ops;

/// <summary>y = x / sqrt(mean(x²) + eps) ⊙ w, one row at a time.</summary>
public static class RmsNorm
{
    /// <summary>Vectorised path (TensorPrimitives).</summary>
    public static void Compute(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, Span<float> y)
    {
        float meanSquare = TensorPrimitives.SumOfSquares(x) / x.Length;
        float inverseRms = 1f / MathF.Sqrt(meanSquare + eps);
        TensorPrimitives.Multiply(x, inverseRms, y);
        TensorPrimitives.Multiply(y, weight, y);
    }

    /// <summary>Scalar reference: the definition, one element at a time.</summary>
    public static void Reference(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, Span<float> y)
    {
        float sumSquares = 0;
        for (int i = 0; i < x.Length; i++) sumSquares += x[i] * x[i];
        float inverseRms = 1f / MathF.Sqrt(sumSquares / x.Length + eps);
        for (int i = 0; i < x.Length; i++) y[i] = x[i] * inverseRms * weight[i];
    }
}
