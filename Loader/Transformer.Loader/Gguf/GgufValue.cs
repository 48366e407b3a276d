using System.Globalization;

namespace Transformer.Loader.Gguf;

/// <summary>
/// One metadata value: a scalar (integers held as <see cref="long"/> or <see cref="ulong"/>, floats as
/// <see cref="double"/>, <see cref="bool"/>, <see cref="string"/>) or an array, held as a typed .NET array of its
/// element type (<c>float[]</c> for float32, <c>int[]</c> for int32, <c>string[]</c>, …) so a 150 000-entry
/// vocabulary is not a list of boxes.
/// </summary>
public sealed class GgufValue
{
    internal GgufValue(GgufValueType type, object value, GgufValueType? elementType = null)
    {
        Type = type;
        Value = value;
        ElementType = elementType;
    }

    /// <summary>The stored type.</summary>
    public GgufValueType Type { get; }

    /// <summary>For an array, the type of its elements.</summary>
    public GgufValueType? ElementType { get; }

    /// <summary>The value (see the class summary for the .NET type of each GGUF type).</summary>
    public object Value { get; }

    /// <summary>Element count of an array; 1 for a scalar.</summary>
    public int Count => Value is Array array ? array.Length : 1;

    /// <inheritdoc/>
    public override string ToString() => Value switch
    {
        string s => $"\"{InputQuote.Cap(s)}\"",
        Array a => $"array of {a.Length} {ElementType}",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        var v => v.ToString() ?? "",
    };
}
