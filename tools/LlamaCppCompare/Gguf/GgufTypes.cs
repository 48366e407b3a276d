namespace LlamaCppCompare.Gguf;

/// <summary>GGUF metadata value types (the numbering of the GGUF spec).</summary>
public enum GgufValueType : uint
{
    /// <summary>uint32.</summary>
    UInt32 = 4,
    /// <summary>int32.</summary>
    Int32 = 5,
    /// <summary>float32.</summary>
    Float32 = 6,
    /// <summary>One byte, 0 or 1.</summary>
    Bool = 7,
    /// <summary>uint64 length + UTF-8 bytes.</summary>
    String = 8,
    /// <summary>Element type, uint64 count, elements.</summary>
    Array = 9,
}

/// <summary>The ggml tensor types this tool writes (ggml's numbering).</summary>
public enum GgmlType : uint
{
    /// <summary>float32.</summary>
    F32 = 0,
    /// <summary>Blocks of 32 weights: an f16 scale then 32 int8 (34 bytes).</summary>
    Q8_0 = 8,
}

/// <summary>Sizes of ggml tensor types.</summary>
public static class GgmlTypes
{
    /// <summary>Weights per Q8_0 block.</summary>
    public const int Q8_0BlockSize = 32;

    /// <summary>Bytes per Q8_0 block: f16 scale + 32 int8.</summary>
    public const int Q8_0BlockBytes = 2 + Q8_0BlockSize;

    /// <summary>Bytes of a tensor of <paramref name="type"/> with ggml-order <paramref name="dimensions"/>.</summary>
    /// <exception cref="ArgumentException">A Q8_0 row is not a whole number of blocks.</exception>
    public static long ByteSize(GgmlType type, long[] dimensions)
    {
        long count = 1;
        foreach (long d in dimensions) count *= d;
        return type switch
        {
            GgmlType.F32 => count * sizeof(float),
            GgmlType.Q8_0 when dimensions[0] % Q8_0BlockSize == 0 => count / Q8_0BlockSize * Q8_0BlockBytes,
            GgmlType.Q8_0 => throw new ArgumentException($"Q8_0 rows must be a multiple of {Q8_0BlockSize} wide, got {dimensions[0]}"),
            _ => throw new ArgumentException($"unsupported ggml type {type}"),
        };
    }
}
