using System.Numerics.Tensors;

namespace Transformer.Kernels.Cpu.Ops;

/// <summary>
/// The GeGLU MLP activation (Shazeer, "GLU Variants Improve Transformer", 2020), as Gemma uses it with the tanh
/// approximation of GELU: output = gelu_tanh(gate) ⊙ up, gelu_tanh(g) = ½·g·(1 + tanh(√(2/π)·(g + 0.044715·g³))).
/// </summary>
public static class GeGlu
{
    private const int Chunk = 256;
    private const float Kappa = 0.044715f;
    private static readonly float s_beta = MathF.Sqrt(2f / MathF.PI);

    /// <summary>Vectorised path (TensorPrimitives). The output may alias gate or up, as for <see cref="SwiGlu"/>.</summary>
    public static void Compute(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> output)
    {
        Span<float> scratch = stackalloc float[Chunk];
        for (int start = 0; start < gate.Length; start += Chunk)
        {
            int n = Math.Min(Chunk, gate.Length - start);
            var g = gate.Slice(start, n);
            var s = scratch[..n];
            TensorPrimitives.Multiply(g, g, s);                 // g²
            TensorPrimitives.Multiply(s, g, s);                 // g³
            TensorPrimitives.MultiplyAdd(s, Kappa, g, s);       // g + κ·g³
            TensorPrimitives.Multiply(s, s_beta, s);            // √(2/π)·(…)
            TensorPrimitives.Tanh(s, s);
            TensorPrimitives.Add(s, 1f, s);
            TensorPrimitives.Multiply(s, g, s);
            TensorPrimitives.Multiply(s, 0.5f, s);              // ½·g·(1 + tanh(…))
            TensorPrimitives.Multiply(s, up.Slice(start, n), output.Slice(start, n));
        }
    }

    /// <summary>Scalar reference: the definition, one element at a time.</summary>
    public static void Reference(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> output)
    {
        for (int i = 0; i < gate.Length; i++)
        {
            float g = gate[i];
            output[i] = 0.5f * g * (1f + MathF.Tanh(s_beta * (g + Kappa * g * g * g))) * up[i];
        }
    }
}
