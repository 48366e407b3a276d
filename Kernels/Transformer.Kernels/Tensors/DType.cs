namespace Transformer.Kernels.Tensors;

/// <summary>Element types a stored tensor may have (the safetensors dtype names).</summary>
public enum DType
{
    /// <summary>IEEE 754 binary32.</summary>
    F32,
    /// <summary>IEEE 754 binary16.</summary>
    F16,
    /// <summary>bfloat16: the upper 16 bits of a binary32.</summary>
    BF16,
    /// <summary>Signed 8-bit integer (pre-quantized weights).</summary>
    I8,
    /// <summary>Unsigned 8-bit integer.</summary>
    U8,
    /// <summary>Signed 32-bit integer.</summary>
    I32,
}

/// <summary>Sizes and names of <see cref="DType"/> values.</summary>
public static class DTypes
{
    /// <summary>Bytes per element.</summary>
    public static int SizeOf(DType type) => type switch
    {
        DType.F32 or DType.I32 => 4,
        DType.F16 or DType.BF16 => 2,
        DType.I8 or DType.U8 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown dtype"),
    };

    /// <summary>Parses a safetensors dtype name ("F32", "BF16", ...); false for names this engine does not read.</summary>
    public static bool TryParse(string name, out DType type)
    {
        switch (name)
        {
            case "F32": type = DType.F32; return true;
            case "F16": type = DType.F16; return true;
            case "BF16": type = DType.BF16; return true;
            case "I8": type = DType.I8; return true;
            case "U8": type = DType.U8; return true;
            case "I32": type = DType.I32; return true;
            default: type = default; return false;
        }
    }

    /// <summary>The safetensors name of a dtype.</summary>
    public static string Name(DType type) => type.ToString();

    /// <summary>Names accepted by <see cref="TryParse"/>, for error messages.</summary>
    public static IReadOnlyList<string> SupportedNames { get; } = ["F32", "F16", "BF16", "I8", "U8", "I32"];
}
