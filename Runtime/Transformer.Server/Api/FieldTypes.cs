using System.Text.Json.Serialization.Metadata;

namespace Transformer.Server.Api;

/// <summary>
/// Names the JSON type a body field should have, found by walking the serializer's own metadata along the
/// path of a <see cref="System.Text.Json.JsonException"/>, so the error message cannot drift from the models.
/// </summary>
internal static class FieldTypes
{
    /// <summary>The request field of a JSON path: <c>$.stream_options.include_usage</c> → <c>stream_options.include_usage</c>.</summary>
    public static string Param(string? path) => path is null or "$" ? "" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');

    /// <summary>What the field at <paramref name="path"/> must be, e.g. "an integer" or "an array of integers".</summary>
    public static string Expected(JsonTypeInfo root, string? path)
    {
        Type? type = root.Type;
        foreach (string segment in Param(path).Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            string name = segment;
            int indexes = 0;
            while (name.EndsWith(']') && name.LastIndexOf('[') is var open and > 0)
            {
                name = name[..open];
                indexes++;
            }
            type = PropertyType(root, type, name);
            for (int i = 0; i < indexes && type is not null; i++) type = ElementType(type);
            if (type is null) return "of another type";
        }
        return type is null ? "of another type" : Describe(type);
    }

    private static Type? PropertyType(JsonTypeInfo root, Type? owner, string jsonName)
    {
        if (owner is null) return null;
        var info = root.Options.GetTypeInfo(owner);
        return info.Properties.FirstOrDefault(p => p.Name == jsonName)?.PropertyType;
    }

    private static Type? ElementType(Type type) =>
        type.IsArray ? type.GetElementType() : type.IsGenericType ? type.GetGenericArguments()[0] : null;

    private static string Describe(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(int)) return "an integer between -2147483648 and 2147483647";
        if (type == typeof(long)) return "an integer";
        if (type == typeof(float) || type == typeof(double)) return "a number";
        if (type == typeof(bool)) return "true or false";
        if (type == typeof(string)) return "a string";
        if (ElementType(type) is { } element && type != typeof(string)) return $"an array of {Plural(Describe(element))}";
        return "an object";
    }

    private static string Plural(string description) => description switch
    {
        var d when d.StartsWith("an integer", StringComparison.Ordinal) => "integers" + d["an integer".Length..],
        "a number" => "numbers",
        "a string" => "strings",
        _ => "values",
    };
}
