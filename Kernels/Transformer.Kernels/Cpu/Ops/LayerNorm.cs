using System.Numerics.Tensors;

namespace Transformer.Kernels.Cpu.Ops;

/// <summary>
/// Layer normalization (Ba, Kiros and Hinton, 2016) as BERT applies it, one row at a time:
/// y = (x − mean(x)) / sqrt(var(x) + eps) ⊙ w + b, with the population variance.
/// </summary>
public static class LayerNorm
{
    /// <summary>Vectorised path (TensorPrimitives); <paramref name="y"/> may alias <paramref name="x"/>.</summary>
    public static void Compute(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, float eps, Span<float> y)
    {
        float mean = TensorPrimitives.Sum(x) / x.Length;
        TensorPrimitives.Subtract(x, mean, y);                        // centred first, so the variance does not cancel
        float variance = TensorPrimitives.SumOfSquares(y) / y.Length;
        TensorPrimitives.Multiply(y, 1f / MathF.Sqrt(variance + eps), y);
        TensorPrimitives.FusedMultiplyAdd(y, weight, bias, y);
    }

    /// <summary>Scalar reference: the definition, one element at a time.</summary>
    public static void Reference(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, float eps, Span<float> y)
    {
        float sum = 0;
        for (int i = 0; i < x.Length; i++) sum += x[i];
        float mean = sum / x.Length;
        float squares = 0;
        for (int i = 0; i < x.Length; i++) squares += (x[i] - mean) * (x[i] - mean);
        float inverseDeviation = 1f / MathF.Sqrt(squares / x.Length + eps);
        for (int i = 0; i < x.Length; i++) y[i] = (x[i] - mean) * inverseDeviation * weight[i] + bias[i];
    }
}
