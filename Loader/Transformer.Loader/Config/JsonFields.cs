using System.Text.Json;

namespace Transformer.Loader.Config;

/// <summary>
/// Typed reads of one JSON object's fields, each failure a <see cref="ModelFormatException"/> naming the
/// file and the field. JSON null counts as absent, because Hugging Face writes null for "use the default".
/// </summary>
internal readonly struct JsonFields(JsonElement obj, string source, string prefix = "")
{
    public string Source => source;

    public bool Has(string name) => obj.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null;

    /// <summary>Whether the field is written at all, JSON null included (for fields where null means "off").</summary>
    public bool Present(string name) => obj.TryGetProperty(name, out _);

    public JsonElement? Get(string name) =>
        obj.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    public int RequiredInt(string name) =>
        OptionalInt(name) ?? throw new ModelFormatException($"{source}: required field '{prefix}{name}' is missing");

    public int? OptionalInt(string name)
    {
        if (Get(name) is not { } value) return null;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int result)) return result;
        throw WrongType(name, "a 32-bit integer", value);
    }

    public float RequiredFloat(string name) =>
        OptionalFloat(name) ?? throw new ModelFormatException($"{source}: required field '{prefix}{name}' is missing");

    public float? OptionalFloat(string name)
    {
        if (Get(name) is not { } value) return null;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out double result)) return (float)result;
        throw WrongType(name, "a number", value);
    }

    public bool? OptionalBool(string name)
    {
        if (Get(name) is not { } value) return null;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw WrongType(name, "true or false", value),
        };
    }

    public string? OptionalString(string name)
    {
        if (Get(name) is not { } value) return null;
        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw WrongType(name, "a string", value);
    }

    /// <summary>An integer or a list of integers (e.g. <c>eos_token_id</c>); empty when absent.</summary>
    public IReadOnlyList<int> IntOrIntList(string name)
    {
        if (Get(name) is not { } value) return [];
        if (value.ValueKind == JsonValueKind.Number)
            return [OptionalInt(name)!.Value];
        if (value.ValueKind != JsonValueKind.Array)
            throw WrongType(name, "an integer or a list of integers", value);
        var list = new List<int>();
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out int id))
                throw WrongType(name, "an integer or a list of integers", value);
            list.Add(id);
        }
        return list;
    }

    /// <summary>A list of integers (e.g. <c>no_rope_layers</c>); empty when absent.</summary>
    public IReadOnlyList<int> IntList(string name)
    {
        if (Get(name) is not { } value) return [];
        if (value.ValueKind != JsonValueKind.Array) throw WrongType(name, "a list of integers", value);
        var list = new List<int>();
        foreach (var item in value.EnumerateArray())
            list.Add(item.ValueKind == JsonValueKind.Number && item.TryGetInt32(out int n) ? n : throw WrongType(name, "a list of integers", value));
        return list;
    }

    /// <summary>A required list of numbers (e.g. LongRoPE's <c>short_factor</c>).</summary>
    public IReadOnlyList<float> FloatList(string name)
    {
        if (Get(name) is not { } value) throw new ModelFormatException($"{source}: required field '{prefix}{name}' is missing");
        if (value.ValueKind != JsonValueKind.Array) throw WrongType(name, "a list of numbers", value);
        var list = new List<float>();
        foreach (var item in value.EnumerateArray())
            list.Add(item.ValueKind == JsonValueKind.Number && item.TryGetDouble(out double d) ? (float)d : throw WrongType(name, "a list of numbers", value));
        return list;
    }

    /// <summary>A list of strings (e.g. <c>architectures</c>); empty when absent.</summary>
    public IReadOnlyList<string> StringList(string name)
    {
        if (Get(name) is not { } value) return [];
        if (value.ValueKind != JsonValueKind.Array) throw WrongType(name, "a list of strings", value);
        var list = new List<string>();
        foreach (var item in value.EnumerateArray())
            list.Add(item.ValueKind == JsonValueKind.String ? item.GetString()! : throw WrongType(name, "a list of strings", value));
        return list;
    }

    /// <summary>A nested object's fields, whose messages name the field as <c>outer.inner</c>.</summary>
    public JsonFields? OptionalObject(string name)
    {
        if (Get(name) is not { } value) return null;
        if (value.ValueKind != JsonValueKind.Object) throw WrongType(name, "an object", value);
        return new JsonFields(value, source, $"{prefix}{name}.");
    }

    private ModelFormatException WrongType(string name, string expected, JsonElement value)
    {
        return new ModelFormatException($"{source}: field '{prefix}{name}' must be {expected}, found {InputQuote.Cap(value.GetRawText())}");
    }
}
