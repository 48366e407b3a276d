using System.Numerics.Tensors;

namespace Transformer.Kernels.Cpu.Ops;

/// <summary>
/// softmax(x)_i = exp(x_i − max x) / Σ_j exp(x_j − max x). TensorPrimitives.SoftMax (System.Numerics.Tensors 10)
/// exponentiates x without subtracting the maximum, so any score or logit above ~88 overflows float to Inf and
/// the row turns to NaN; this subtracts it first and uses TensorPrimitives for each piece.
/// </summary>
public static class Softmax
{
    /// <summary>Vectorised path; <paramref name="destination"/> may alias <paramref name="x"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="x"/> is empty or longer than <paramref name="destination"/>.</exception>
    public static void Compute(ReadOnlySpan<float> x, Span<float> destination)
    {
        if (x.IsEmpty) throw new ArgumentException("softmax of an empty row", nameof(x));
        if (destination.Length < x.Length) throw new ArgumentException($"softmax of {x.Length} values into {destination.Length}", nameof(destination));
        destination = destination[..x.Length];
        float max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, destination);
        TensorPrimitives.Exp(destination, destination);
        // The maximum contributes exp(0) = 1, so the sum is at least 1: no division by zero or by Inf.
        TensorPrimitives.Divide(destination, TensorPrimitives.Sum(destination), destination);
    }

    /// <summary>Scalar reference.</summary>
    public static void Reference(ReadOnlySpan<float> x, Span<float> destination)
    {
        float max = float.NegativeInfinity;
        foreach (float v in x) max = MathF.Max(max, v);
        float sum = 0;
        for (int i = 0; i < x.Length; i++) { destination[i] = MathF.Exp(x[i] - max); sum += destination[i]; }
        for (int i = 0; i < x.Length; i++) destination[i] /= sum;
    }
}
