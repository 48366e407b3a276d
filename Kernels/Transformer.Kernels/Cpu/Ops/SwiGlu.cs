using System.Numerics.Tensors;

namespace Transformer.Kernels.Cpu.Ops;

/// <summary>The gated MLP activation: output = silu(gate) ⊙ up, where silu(g) = g·σ(g).</summary>
public static class SwiGlu
{
    private const int Chunk = 256;

    /// <summary>
    /// Vectorised path (TensorPrimitives). The output may alias gate or up: each chunk of both is
    /// read into the scratch before the same chunk of the output is written.
    /// </summary>
    public static void Compute(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> output)
    {
        Span<float> scratch = stackalloc float[Chunk];
        for (int start = 0; start < gate.Length; start += Chunk)
        {
            int n = Math.Min(Chunk, gate.Length - start);
            var g = gate.Slice(start, n);
            var s = scratch[..n];
            TensorPrimitives.Sigmoid(g, s);
            TensorPrimitives.Multiply(s, g, s);
            TensorPrimitives.Multiply(s, up.Slice(start, n), output.Slice(start, n));
        }
    }

    /// <summary>Scalar reference.</summary>
    public static void Reference(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> output)
    {
        for (int i = 0; i < gate.Length; i++)
            output[i] = gate[i] / (1f + MathF.Exp(-gate[i])) * up[i];
    }
}
