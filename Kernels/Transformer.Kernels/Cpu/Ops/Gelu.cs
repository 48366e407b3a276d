using System.Numerics.Tensors;

namespace Transformer.Kernels.Cpu.Ops;

/// <summary>
/// The exact GELU (Hendrycks and Gimpel, 2016) that BERT uses: gelu(x) = x·Φ(x) = ½·x·(1 + erf(x/√2)), not the tanh
/// approximation of <see cref="GeGlu"/>. .NET has no erf, so both paths compute Φ from erfc.
/// </summary>
public static class Gelu
{
    private const int Chunk = 256;
    private static readonly float s_inverseSqrt2 = 1f / MathF.Sqrt(2f);

    // Abramowitz and Stegun 7.1.26: erfc(z) ≈ (a1·t + … + a5·t⁵)·exp(−z²), t = 1 / (1 + p·z), z ≥ 0,
    // absolute error ≤ 1.5e-7, under float32's rounding of Φ near 1.
    private const float P = 0.3275911f;
    private const float A1 = 0.254829592f, A2 = -0.284496736f, A3 = 1.421413741f, A4 = -1.453152027f, A5 = 1.061405429f;

    /// <summary>Vectorised path (TensorPrimitives); <paramref name="output"/> may alias <paramref name="input"/>.</summary>
    public static void Compute(ReadOnlySpan<float> input, Span<float> output)
    {
        Span<float> buffer = stackalloc float[3 * Chunk];
        for (int start = 0; start < input.Length; start += Chunk)
        {
            int n = Math.Min(Chunk, input.Length - start);
            var x = input.Slice(start, n);
            var z = buffer[..n];
            var t = buffer.Slice(Chunk, n);
            var tail = buffer.Slice(2 * Chunk, n);
            TensorPrimitives.Abs(x, z);
            TensorPrimitives.Multiply(z, s_inverseSqrt2, z);         // z = |x| / √2
            TensorPrimitives.Multiply(z, P, t);
            TensorPrimitives.Add(t, 1f, t);
            TensorPrimitives.Reciprocal(t, t);                       // t = 1 / (1 + p·z)
            TensorPrimitives.Multiply(z, z, z);
            TensorPrimitives.Negate(z, z);
            TensorPrimitives.Exp(z, z);                              // z = exp(−z²)
            tail.Fill(A5);                                           // tail = (((a5·t + a4)·t + a3)·t + a2)·t + a1
            TensorPrimitives.MultiplyAdd(tail, t, A4, tail);
            TensorPrimitives.MultiplyAdd(tail, t, A3, tail);
            TensorPrimitives.MultiplyAdd(tail, t, A2, tail);
            TensorPrimitives.MultiplyAdd(tail, t, A1, tail);
            TensorPrimitives.Multiply(tail, t, tail);
            TensorPrimitives.Multiply(tail, z, z);
            TensorPrimitives.Multiply(z, 0.5f, z);                   // z = ½·erfc(|x|/√2) = Φ(−|x|)
            TensorPrimitives.Subtract(0.5f, z, z);                   // Φ(x) = ½ + sign(x)·(½ − Φ(−|x|))
            TensorPrimitives.CopySign(z, x, z);
            TensorPrimitives.Add(z, 0.5f, z);
            TensorPrimitives.Multiply(z, x, output.Slice(start, n));
        }
    }

    /// <summary>Scalar reference: x·Φ(x) with erfc in double precision (<see cref="Erfc"/>).</summary>
    public static void Reference(ReadOnlySpan<float> input, Span<float> output)
    {
        for (int i = 0; i < input.Length; i++)
        {
            double x = input[i];
            output[i] = (float)(x * 0.5 * Erfc(-x / Math.Sqrt(2)));
        }
    }

    /// <summary>
    /// erfc in double precision, to ~1e-15: the Maclaurin series of erf for |z| ≤ 2.5 and the continued fraction
    /// erfc(z) = exp(−z²)/√π · 1/(z + ½/(z + 1/(z + 3/2/(z + …)))) beyond, where the series would cancel.
    /// </summary>
    public static double Erfc(double z)
    {
        if (z < -2.5) return 2 - Erfc(-z);
        if (z <= 2.5)
        {
            double term = z, sum = z, z2 = z * z;
            for (int n = 1; n < 100 && Math.Abs(term) > 1e-18; n++)
            {
                term *= -z2 / n;
                sum += term / (2 * n + 1);
            }
            return 1 - 2 / Math.Sqrt(Math.PI) * sum;
        }
        double fraction = z;
        for (int k = 80; k >= 1; k--) fraction = z + k / 2.0 / fraction;
        return Math.Exp(-z * z) / (Math.Sqrt(Math.PI) * fraction);
    }
}
