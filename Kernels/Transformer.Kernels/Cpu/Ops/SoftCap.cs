using System.Numerics.Tensors;

namespace Transformer.Kernels.Cpu.Ops;

/// <summary>Soft-capping (Gemma 2): x = cap·tanh(x / cap), a smooth clamp of scores and logits to (−cap, cap).</summary>
public static class SoftCap
{
    /// <summary>Vectorised path (TensorPrimitives), in place.</summary>
    public static void Compute(Span<float> x, float cap)
    {
        TensorPrimitives.Divide(x, cap, x);
        TensorPrimitives.Tanh(x, x);
        TensorPrimitives.Multiply(x, cap, x);
    }

    /// <summary>Scalar reference.</summary>
    public static void Reference(Span<float> x, float cap)
    {
        for (int i = 0; i < x.Length; i++) x[i] = cap * MathF.Tanh(x[i] / cap);
    }
}
