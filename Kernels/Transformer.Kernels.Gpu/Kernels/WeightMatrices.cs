using ILGPU;

namespace Transformer.Kernels.Gpu.Kernels;

/// <summary>
/// Reads element (o, k) of a weight matrix [out, in] as float32, so the matmul kernel is written once
/// and compiled per weight format.
/// </summary>
internal interface IWeightMatrix
{
    /// <summary>W[o, k].</summary>
    float At(int o, int k);
}

/// <summary>float32 values, row-major [out, in].</summary>
internal readonly struct F32Matrix(ArrayView<float> values, int inFeatures) : IWeightMatrix
{
    public float At(int o, int k) => values[o * inFeatures + k];
}

/// <summary>
/// Q8 (int8 values [out, K], one float scale per 32 values along K), dequantized in registers:
/// W[o, k] = scale[o, k / 32] · q[o, k]. The device streams a quarter of the f32 bytes.
/// </summary>
internal readonly struct Q8Matrix(ArrayView<sbyte> values, ArrayView<float> scales, int inFeatures) : IWeightMatrix
{
    public const int BlockSize = 32;

    public float At(int o, int k) => scales[o * (inFeatures / BlockSize) + k / BlockSize] * values[o * inFeatures + k];
}
