namespace Transformer.Loader.Gguf;

/// <summary>Tensor element types, numbered as in ggml (<c>enum ggml_type</c>); only those this reader can size.</summary>
public enum GgmlType : uint
{
    /// <summary>float32.</summary>
    F32 = 0,
    /// <summary>float16.</summary>
    F16 = 1,
    /// <summary>Blocks of 32: f16 scale, 16 bytes of 4-bit values (offset 8).</summary>
    Q4_0 = 2,
    /// <summary>Blocks of 32: f16 scale and minimum, 16 bytes of 4-bit values.</summary>
    Q4_1 = 3,
    /// <summary>Blocks of 32: f16 scale, 4 bytes of high bits, 16 bytes of low nibbles.</summary>
    Q5_0 = 6,
    /// <summary>Blocks of 32: f16 scale and minimum, high bits, low nibbles.</summary>
    Q5_1 = 7,
    /// <summary>Blocks of 32: f16 scale, 32 int8.</summary>
    Q8_0 = 8,
    /// <summary>Blocks of 32: f16 scale and sum, 32 int8 (an activation format).</summary>
    Q8_1 = 9,
    /// <summary>K-quant super-blocks of 256, 2-bit.</summary>
    Q2_K = 10,
    /// <summary>K-quant super-blocks of 256, 3-bit.</summary>
    Q3_K = 11,
    /// <summary>K-quant super-blocks of 256, 4-bit with 6-bit sub-block scales and minimums.</summary>
    Q4_K = 12,
    /// <summary>K-quant super-blocks of 256, 5-bit.</summary>
    Q5_K = 13,
    /// <summary>K-quant super-blocks of 256, 6-bit with int8 sub-block scales.</summary>
    Q6_K = 14,
    /// <summary>K-quant super-blocks of 256, int8 (an activation format).</summary>
    Q8_K = 15,
    /// <summary>int8.</summary>
    I8 = 24,
    /// <summary>int16.</summary>
    I16 = 25,
    /// <summary>int32.</summary>
    I32 = 26,
    /// <summary>int64.</summary>
    I64 = 27,
    /// <summary>float64.</summary>
    F64 = 28,
    /// <summary>bfloat16.</summary>
    BF16 = 30,
}

/// <summary>Block geometry of each <see cref="GgmlType"/>: a row is a whole number of blocks of <c>BlockSize</c> values.</summary>
public static class GgmlTypes
{
    /// <summary>Values per block and bytes per block of <paramref name="type"/>; false for a type this reader does not know.</summary>
    public static bool TryGetLayout(GgmlType type, out int blockSize, out int blockBytes)
    {
        (blockSize, blockBytes) = type switch
        {
            GgmlType.F32 or GgmlType.I32 => (1, 4),
            GgmlType.F16 or GgmlType.BF16 or GgmlType.I16 => (1, 2),
            GgmlType.I8 => (1, 1),
            GgmlType.I64 or GgmlType.F64 => (1, 8),
            GgmlType.Q4_0 => (32, 2 + 16),
            GgmlType.Q4_1 => (32, 4 + 16),
            GgmlType.Q5_0 => (32, 2 + 4 + 16),
            GgmlType.Q5_1 => (32, 4 + 4 + 16),
            GgmlType.Q8_0 => (32, 2 + 32),
            GgmlType.Q8_1 => (32, 4 + 32),
            GgmlType.Q2_K => (256, 16 + 64 + 4),
            GgmlType.Q3_K => (256, 32 + 64 + 12 + 2),
            GgmlType.Q4_K => (256, 4 + 12 + 128),
            GgmlType.Q5_K => (256, 4 + 12 + 32 + 128),
            GgmlType.Q6_K => (256, 128 + 64 + 16 + 2),
            GgmlType.Q8_K => (256, 4 + 256 + 32),
            _ => (0, 0),
        };
        return blockSize > 0;
    }

    /// <summary>The ggml name of a type (<c>Q8_0</c>), or its number when this reader does not know it.</summary>
    public static string Name(GgmlType type) => Enum.IsDefined(type) ? type.ToString() : $"type {(uint)type}";
}
