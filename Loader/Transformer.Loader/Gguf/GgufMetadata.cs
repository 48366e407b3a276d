namespace Transformer.Loader.Gguf;

/// <summary>
/// The key/value metadata of a GGUF file with typed lookups. Every failed lookup of a required key, and every
/// value of the wrong type or out of range, is a <see cref="ModelFormatException"/> naming the file and key.
/// </summary>
public sealed class GgufMetadata
{
    private readonly Dictionary<string, GgufValue> _values;

    internal GgufMetadata(string source, Dictionary<string, GgufValue> values, IReadOnlyList<string> keysInFileOrder)
    {
        Source = source;
        _values = values;
        Keys = keysInFileOrder;
    }

    /// <summary>Names the file in messages.</summary>
    public string Source { get; }

    /// <summary>Every key, in file order.</summary>
    public IReadOnlyList<string> Keys { get; }

    /// <summary>Whether the key is present.</summary>
    public bool Contains(string key) => _values.ContainsKey(key);

    /// <summary>The raw value of a key.</summary>
    public bool TryGet(string key, out GgufValue value) => _values.TryGetValue(key, out value!);

    /// <summary>A string value, or null when the key is absent.</summary>
    public string? OptionalString(string key) => Scalar<string>(key, "a string");

    /// <summary>A string value that must be present.</summary>
    public string RequiredString(string key) => OptionalString(key) ?? throw Missing(key);

    /// <summary>A bool value, or null when the key is absent.</summary>
    public bool? OptionalBool(string key) => _values.ContainsKey(key) ? Scalar<bool>(key, "a bool") : null;

    /// <summary>
    /// An integer value of any GGUF integer type that fits in an <see cref="int"/> (counts and ids are stored as
    /// uint32 by llama.cpp's converter, but other writers use int32 or uint64), or null when absent.
    /// </summary>
    public int? OptionalInt(string key)
    {
        if (!_values.TryGetValue(key, out var value)) return null;
        long number = value.Value switch
        {
            long l => l,
            ulong u => u <= int.MaxValue ? (long)u : long.MaxValue, // out of range either way; the message quotes the value
            Array => throw WrongType(key, value, "an integer (per-layer arrays are not supported)"),
            _ => throw WrongType(key, value, "an integer"),
        };
        if (number is < int.MinValue or > int.MaxValue)
            throw new ModelFormatException($"{Source}: metadata '{InputQuote.Cap(key)}' = {value} does not fit in a 32-bit integer");
        return (int)number;
    }

    /// <summary>An integer value that must be present.</summary>
    public int RequiredInt(string key) => OptionalInt(key) ?? throw Missing(key);

    /// <summary>A float value (float32 or float64; an integer is accepted too), or null when absent.</summary>
    public float? OptionalFloat(string key)
    {
        if (!_values.TryGetValue(key, out var value)) return null;
        return value.Value switch
        {
            double d => (float)d,
            long l => l,
            ulong u => u,
            _ => throw WrongType(key, value, "a number"),
        };
    }

    /// <summary>A float value that must be present.</summary>
    public float RequiredFloat(string key) => OptionalFloat(key) ?? throw Missing(key);

    /// <summary>An array of strings, or null when absent.</summary>
    public string[]? OptionalStringArray(string key) => ArrayOf<string>(key, "an array of strings");

    /// <summary>An array of float32, or null when absent.</summary>
    public float[]? OptionalFloatArray(string key) => ArrayOf<float>(key, "an array of float32");

    /// <summary>An array of any integer type, widened to int (each element must fit), or null when absent.</summary>
    public int[]? OptionalIntArray(string key)
    {
        if (!_values.TryGetValue(key, out var value)) return null;
        if (value.Value is int[] ints) return ints;
        if (value.Value is not Array array || value.ElementType is GgufValueType.Float32 or GgufValueType.Float64
            or GgufValueType.Bool or GgufValueType.String or null)
            throw WrongType(key, value, "an array of integers");
        var result = new int[array.Length];
        for (int i = 0; i < result.Length; i++)
        {
            object element = array.GetValue(i)!;
            // ulong is the one integer type that does not fit a long; anything above int's range is refused anyway.
            long number = element is ulong u ? (long)Math.Min(u, long.MaxValue) : Convert.ToInt64(element, System.Globalization.CultureInfo.InvariantCulture);
            if (number is < int.MinValue or > int.MaxValue)
                throw new ModelFormatException($"{Source}: metadata '{InputQuote.Cap(key)}'[{i}] = {element} does not fit in a 32-bit integer");
            result[i] = (int)number;
        }
        return result;
    }

    private T? Scalar<T>(string key, string expected)
    {
        if (!_values.TryGetValue(key, out var value)) return default;
        return value.Value is T typed ? typed : throw WrongType(key, value, expected);
    }

    private T[]? ArrayOf<T>(string key, string expected)
    {
        if (!_values.TryGetValue(key, out var value)) return null;
        return value.Value is T[] typed ? typed : throw WrongType(key, value, expected);
    }

    private ModelFormatException Missing(string key) =>
        new($"{Source}: metadata key '{InputQuote.Cap(key)}' is missing");

    private ModelFormatException WrongType(string key, GgufValue value, string expected) =>
        new($"{Source}: metadata '{InputQuote.Cap(key)}' should be {expected}, but is {Describe(value)}");

    private static string Describe(GgufValue value) =>
        value.Type == GgufValueType.Array ? $"an array of {value.ElementType}" : $"{value.Type} {value}";
}
