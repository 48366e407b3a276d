namespace Transformer.Loader.Gguf;

/// <summary>Metadata value types, numbered as in the GGUF specification (<c>gguf_metadata_value_type</c>).</summary>
public enum GgufValueType : uint
{
    /// <summary>uint8.</summary>
    UInt8 = 0,
    /// <summary>int8.</summary>
    Int8 = 1,
    /// <summary>uint16.</summary>
    UInt16 = 2,
    /// <summary>int16.</summary>
    Int16 = 3,
    /// <summary>uint32.</summary>
    UInt32 = 4,
    /// <summary>int32.</summary>
    Int32 = 5,
    /// <summary>float32.</summary>
    Float32 = 6,
    /// <summary>One byte, 0 or 1.</summary>
    Bool = 7,
    /// <summary>uint64 byte length, then UTF-8 without a terminator.</summary>
    String = 8,
    /// <summary>Element type (uint32), element count (uint64), then the elements.</summary>
    Array = 9,
    /// <summary>uint64.</summary>
    UInt64 = 10,
    /// <summary>int64.</summary>
    Int64 = 11,
    /// <summary>float64.</summary>
    Float64 = 12,
}

/// <summary>Sizes of GGUF metadata value types.</summary>
internal static class GgufValueTypes
{
    /// <summary>Whether <paramref name="type"/> is one the specification defines.</summary>
    public static bool IsDefined(uint type) => type <= (uint)GgufValueType.Float64;

    /// <summary>
    /// The fewest bytes one value of the type occupies in a file (a string: its 8-byte length). Used to refuse
    /// element counts the rest of the file could not hold before anything is allocated for them.
    /// </summary>
    public static int MinimumBytes(GgufValueType type) => type switch
    {
        GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
        GgufValueType.UInt16 or GgufValueType.Int16 => 2,
        GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
        GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 or GgufValueType.String => 8,
        GgufValueType.Array => 12,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a GGUF value type"),
    };
}
