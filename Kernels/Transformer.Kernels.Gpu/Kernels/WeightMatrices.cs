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

/// <summary>
/// Q4_0 as <see cref="Transformer.Kernels.Quantized.Q4Weight"/> holds it (16 code bytes [out, K/2] per 32 values: byte j
/// has value j in its low nibble, j + 16 in its high one; one float32 scale d per block), dequantized in registers:
/// W[o, k] = (q − 8)·d, the CPU reference's product, so the same bits. The device streams 5 bits a weight.
/// </summary>
internal readonly struct Q4Matrix(ArrayView<byte> codes, ArrayView<float> scales, int inFeatures) : IWeightMatrix
{
    public float At(int o, int k)
    {
        int block = o * (inFeatures / Q8Matrix.BlockSize) + k / Q8Matrix.BlockSize, i = k % Q8Matrix.BlockSize;
        return (float)(QuantCodes.Nibble(codes, block * 16, i) - 8) * scales[block];
    }
}

/// <summary>
/// Q4_K as <see cref="Transformer.Kernels.Quantized.Q4KWeight"/> holds it (Q4_0's nibble layout, a float32 scale d·s and
/// minimum dmin·m per 32 values): W[o, k] = (d·s)·q − dmin·m, the reference's operations in its order. 6 bits a weight.
/// </summary>
internal readonly struct Q4KMatrix(ArrayView<byte> codes, ArrayView<float> scales, ArrayView<float> mins, int inFeatures) : IWeightMatrix
{
    public float At(int o, int k)
    {
        int block = o * (inFeatures / Q8Matrix.BlockSize) + k / Q8Matrix.BlockSize, i = k % Q8Matrix.BlockSize;
        return scales[block] * QuantCodes.Nibble(codes, block * 16, i) - mins[block];
    }
}

/// <summary>
/// Q6_K as <see cref="Transformer.Kernels.Quantized.Q6KWeight"/> holds it: per 32 values 26 bytes (16 of low nibbles as
/// Q4_0's, 8 of high bit pairs, byte j pair p for value j + 8p, then the int8 scales of values 0–15 and 16–31) and the
/// super-block's float32 d: W[o, k] = (d·s)·(q − 32), the reference's operations in its order. 7.5 bits a weight.
/// </summary>
internal readonly struct Q6KMatrix(ArrayView<byte> blocks, ArrayView<float> scales, int inFeatures) : IWeightMatrix
{
    /// <summary>Bytes of one 32-value block (<see cref="Transformer.Kernels.Quantized.Q6KWeight.BlockBytes"/>).</summary>
    public const int BlockBytes = 26;

    public float At(int o, int k)
    {
        int block = o * (inFeatures / Q8Matrix.BlockSize) + k / Q8Matrix.BlockSize, i = k % Q8Matrix.BlockSize;
        int start = block * BlockBytes;
        int low = QuantCodes.Nibble(blocks, start, i);
        int high = (blocks[start + 16 + i % 8] >> (2 * (i / 8))) & 3;
        int scale = (sbyte)blocks[start + 24 + i / 16];
        return scales[block] * scale * (float)((low | high << 4) - 32);
    }
}

/// <summary>Reads the 4-bit codes the quantized layouts share.</summary>
internal static class QuantCodes
{
    /// <summary>Value i (0–31) of the 16 code bytes at <paramref name="start"/>: byte i mod 16, low nibble for i &lt; 16, high one above.</summary>
    public static int Nibble(ArrayView<byte> codes, int start, int i) => (codes[start + i % 16] >> (i / 16 * 4)) & 0x0F;
}
