using System.Numerics.Tensors;

namespace Transformer.Kernels.Cpu.Ops;

/// <summary>The gated MLP activation: output = silu(gate) ⊙ up, where silu(g) = g·σ(g).</summary>
public static class SwiGlu
{
    /// <summary>Vectorised path (TensorPrimitives).</summary>
    public static void Compute(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> output)
    {
        TensorPrimitives.Sigmoid(gate, output);
        TensorPrimitives.Multiply(output, gate, output);
        TensorPrimitives.Multiply(output, up, output);
    }

    /// <summary>Scalar reference.</summary>
    public static void Reference(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> output)
    {
        for (int i = 0; i < gate.Length; i++)
            output[i] = gate[i] / (1f + MathF.Exp(-gate[i])) * up[i];
    }
}
