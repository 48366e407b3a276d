using System.Numerics.Tensors;

namespace Transformer.Kernels.Cpu.Ops;

/// <summary>
/// y[t, o] = Σ_k x[t, k] · W[o, k] for float32 weights in PyTorch [out, in] orientation.
/// Work is split by output rows so each weight row is read once for all tokens.
/// </summary>
public static class MatMulF32
{
    /// <summary>
    /// Rows [rowStart, rowEnd) for all tokens, one TensorPrimitives.Dot per output: the simple baseline
    /// the benchmarks hold <see cref="MatMulF32Tiled"/> (what the backend runs) against.
    /// </summary>
    public static void ComputeRows(ReadOnlySpan<float> x, int tokens, ReadOnlySpan<float> weight, int inFeatures,
        int outFeatures, Span<float> y, int rowStart, int rowEnd)
    {
        for (int o = rowStart; o < rowEnd; o++)
        {
            ReadOnlySpan<float> w = weight.Slice(o * inFeatures, inFeatures);
            for (int t = 0; t < tokens; t++)
                y[t * outFeatures + o] = TensorPrimitives.Dot(x.Slice(t * inFeatures, inFeatures), w);
        }
    }

    /// <summary>Scalar reference.</summary>
    public static void Reference(ReadOnlySpan<float> x, int tokens, ReadOnlySpan<float> weight, int inFeatures,
        int outFeatures, Span<float> y)
    {
        for (int t = 0; t < tokens; t++)
            for (int o = 0; o < outFeatures; o++)
            {
                float acc = 0;
                for (int k = 0; k < inFeatures; k++) acc += x[t * inFeatures + k] * weight[o * inFeatures + k];
                y[t * outFeatures + o] = acc;
            }
    }
}
