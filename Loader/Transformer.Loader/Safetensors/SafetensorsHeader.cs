using System.Text.Json;
using Transformer.Kernels.Tensors;
using Transformer.Loader.Json;

namespace Transformer.Loader.Safetensors;

/// <summary>
/// The parsed and validated JSON header of a safetensors file. Validation is complete: once this
/// succeeds every entry's bytes lie inside the data region, match its dtype and shape, and no two
/// tensors share bytes, so views can be handed out without further checks.
/// </summary>
internal sealed class SafetensorsHeader
{
    /// <summary>The key reserved by the format for the string-to-string metadata map.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>Headers larger than this are rejected before being read (the reference implementation's limit).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private SafetensorsHeader(IReadOnlyList<SafetensorsEntry> entries, IReadOnlyDictionary<string, string> metadata)
    {
        Entries = entries;
        Metadata = metadata;
    }

    /// <summary>Tensors ordered by their position in the data region.</summary>
    public IReadOnlyList<SafetensorsEntry> Entries { get; }

    /// <summary>The <c>__metadata__</c> map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Parses <paramref name="json"/>; <paramref name="dataLength"/> is the size of the data region after the header.</summary>
    public static SafetensorsHeader Parse(ReadOnlySpan<byte> json, long dataLength, string path)
    {
        using (var document = StrictJson.Parse(json.ToArray(), $"{path}: safetensors header is "))
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new ModelFormatException($"{path}: safetensors header must be a JSON object, found {root.ValueKind}");

            var entries = new List<SafetensorsEntry>();
            IReadOnlyDictionary<string, string> metadata = new Dictionary<string, string>();
            foreach (var property in UniqueProperties(root, path, "safetensors header", "tensor name"))
            {
                if (property.Name == MetadataKey)
                    metadata = ParseMetadata(property.Value, path);
                else
                    entries.Add(ParseEntry(property.Name, property.Value, dataLength, path));
            }

            entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
            RejectOverlaps(entries, path);
            return new SafetensorsHeader(entries, metadata);
        }
    }

    /// <summary>
    /// The object's properties, rejecting repeated keys: <see cref="JsonDocument"/> keeps duplicates
    /// and lookups would silently pick one, so a file could mean two things.
    /// </summary>
    private static List<JsonProperty> UniqueProperties(JsonElement element, string path, string where, string keyKind)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var properties = new List<JsonProperty>();
        foreach (var property in element.EnumerateObject())
        {
            if (!seen.Add(property.Name))
                throw new ModelFormatException($"{path}: {where}: duplicate {keyKind} '{InputQuote.Cap(property.Name)}'");
            properties.Add(property);
        }
        return properties;
    }

    private static Dictionary<string, string> ParseMetadata(JsonElement value, string path)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new ModelFormatException($"{path}: '{MetadataKey}' must be an object of strings, found {value.ValueKind}");
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in UniqueProperties(value, path, $"'{MetadataKey}'", "key"))
        {
            if (property.Value.ValueKind != JsonValueKind.String)
                throw new ModelFormatException(
                    $"{path}: '{MetadataKey}' value of '{InputQuote.Cap(property.Name)}' must be a string, found {property.Value.ValueKind}");
            metadata[property.Name] = property.Value.GetString()!;
        }
        return metadata;
    }

    private static SafetensorsEntry ParseEntry(string name, JsonElement value, long dataLength, string path)
    {
        string where = $"{path}: tensor '{InputQuote.Cap(name)}'";
        if (value.ValueKind != JsonValueKind.Object)
            throw new ModelFormatException($"{where}: entry must be an object with dtype, shape and data_offsets, found {value.ValueKind}");

        JsonElement? dtypeElement = null, shapeElement = null, offsetsElement = null;
        foreach (var field in UniqueProperties(value, path, $"tensor '{InputQuote.Cap(name)}'", "field"))
        {
            switch (field.Name)
            {
                case "dtype": dtypeElement = field.Value; break;
                case "shape": shapeElement = field.Value; break;
                case "data_offsets": offsetsElement = field.Value; break;
            }
        }

        var type = ParseDType(dtypeElement ?? throw Missing(where, "dtype"), where);
        var shape = ParseShape(shapeElement ?? throw Missing(where, "shape"), where);
        var (begin, end) = ParseOffsets(offsetsElement ?? throw Missing(where, "data_offsets"), where);

        if (end < begin)
            throw new ModelFormatException($"{where}: data_offsets end {end} is before begin {begin}");
        if (end > dataLength)
            throw new ModelFormatException(
                $"{where}: data_offsets [{begin}, {end}] lie outside the data region of {dataLength} bytes");

        long expectedBytes = ExpectedByteLength(type, shape, where);
        if (end - begin != expectedBytes)
            throw new ModelFormatException(
                $"{where}: data_offsets span {end - begin} bytes but {DTypes.Name(type)}[{string.Join(", ", shape)}] needs {expectedBytes}");
        if (expectedBytes > int.MaxValue)
            throw new ModelFormatException(
                $"{where}: {expectedBytes} bytes exceed the {int.MaxValue}-byte limit of a single tensor view");

        return new SafetensorsEntry(name, type, shape, begin, end);
    }

    private static ModelFormatException Missing(string where, string field) =>
        new($"{where}: entry is missing '{field}'");

    private static DType ParseDType(JsonElement element, string where)
    {
        if (element.ValueKind != JsonValueKind.String)
            throw new ModelFormatException($"{where}: 'dtype' must be a string, found {element.ValueKind}");
        string name = element.GetString()!;
        if (!DTypes.TryParse(name, out var type))
            throw new ModelFormatException(
                $"{where}: unknown dtype '{InputQuote.Cap(name)}'; supported dtypes: {string.Join(", ", DTypes.SupportedNames)}");
        return type;
    }

    private static int[] ParseShape(JsonElement element, string where)
    {
        if (element.ValueKind != JsonValueKind.Array)
            throw new ModelFormatException($"{where}: 'shape' must be an array of integers, found {element.ValueKind}");
        var shape = new int[element.GetArrayLength()];
        int i = 0;
        foreach (var dim in element.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out long value))
                throw new ModelFormatException($"{where}: shape entry {i} must be an integer, found {InputQuote.Cap(dim.GetRawText())}");
            if (value < 0)
                throw new ModelFormatException($"{where}: shape entry {i} is negative ({value})");
            if (value > int.MaxValue)
                throw new ModelFormatException($"{where}: shape entry {i} ({value}) exceeds {int.MaxValue}");
            shape[i++] = (int)value;
        }
        return shape;
    }

    private static (long Begin, long End) ParseOffsets(JsonElement element, string where)
    {
        if (element.ValueKind != JsonValueKind.Array || element.GetArrayLength() != 2)
            throw new ModelFormatException($"{where}: 'data_offsets' must be an array of two integers [begin, end], found {Abbreviate(element)}");
        long[] offsets = new long[2];
        int i = 0;
        foreach (var offset in element.EnumerateArray())
        {
            if (offset.ValueKind != JsonValueKind.Number || !offset.TryGetInt64(out long value) || value < 0)
                throw new ModelFormatException(
                    $"{where}: data_offsets entry {i} must be a non-negative 64-bit integer, found {Abbreviate(offset)}");
            offsets[i++] = value;
        }
        return (offsets[0], offsets[1]);
    }

    private static long ExpectedByteLength(DType type, int[] shape, string where)
    {
        try
        {
            long bytes = DTypes.SizeOf(type);
            foreach (int dim in shape) bytes = checked(bytes * dim);
            return bytes;
        }
        catch (OverflowException)
        {
            throw new ModelFormatException($"{where}: shape [{string.Join(", ", shape)}] holds more bytes than a 64-bit count can express");
        }
    }

    private static void RejectOverlaps(List<SafetensorsEntry> sortedByBegin, string path)
    {
        SafetensorsEntry? previous = null;
        foreach (var entry in sortedByBegin)
        {
            // Zero-size tensors own no bytes, so they cannot collide with anything.
            if (entry.ByteLength == 0) continue;
            if (previous is not null && previous.End > entry.Begin)
                throw new ModelFormatException(
                    $"{path}: tensor '{InputQuote.Cap(entry.Name)}' bytes [{entry.Begin}, {entry.End}) overlap tensor '{InputQuote.Cap(previous.Name)}' bytes [{previous.Begin}, {previous.End})");
            previous = entry;
        }
    }

    private static string Abbreviate(JsonElement element) => InputQuote.Cap(element.GetRawText());
}
