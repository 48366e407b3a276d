using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Transformer.ChatTemplates.Jinja.Runtime;

/// <summary>
/// Converts JSON (messages, tools, chat_template_kwargs) to template values as Python's <c>json.loads</c>
/// would: objects keep their key order, and a number is a float when written with a fraction or exponent
/// ("1.0" prints as 1.0, "1" as 1). Integers beyond 64 bits become floats (Python would keep them exact).
/// </summary>
internal static class JsonValues
{
    public static Value FromNode(JsonNode? node, int depth = 0)
    {
        if (depth > 256) throw new ArgumentException("JSON nested more than 256 levels deep");
        switch (node)
        {
            case null:
                return NoneValue.Instance;
            case JsonObject obj:
                var items = DictValue.NewItems();
                foreach (var (key, value) in obj) items[new StringValue(key)] = FromNode(value, depth + 1);
                return new DictValue(items);
            case JsonArray array:
                return new ListValue([.. array.Select(item => FromNode(item, depth + 1))]);
            case JsonValue value:
                return FromJsonValue(value);
            default:
                throw new ArgumentException($"unsupported JSON node {node.GetType().Name}");
        }
    }

    private static Value FromJsonValue(JsonValue value)
    {
        if (value.TryGetValue(out JsonElement element)) return FromElement(element);
        if (value.TryGetValue(out string? text)) return new StringValue(text!);
        if (value.TryGetValue(out bool flag)) return BoolValue.Of(flag);
        if (value.TryGetValue(out double d)) return new FloatValue(d);
        if (value.TryGetValue(out float f)) return new FloatValue(f);
        if (value.TryGetValue(out decimal m)) return new FloatValue((double)m);
        if (value.TryGetValue(out long l)) return IntValue.Of(l);
        if (value.TryGetValue(out int i)) return IntValue.Of(i);
        // Any other primitive (short, byte, char, ...): through its JSON text.
        using var document = JsonDocument.Parse(value.ToJsonString());
        return FromElement(document.RootElement);
    }

    private static Value FromElement(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => new StringValue(element.GetString()!),
        JsonValueKind.True => BoolValue.True,
        JsonValueKind.False => BoolValue.False,
        JsonValueKind.Null or JsonValueKind.Undefined => NoneValue.Instance,
        JsonValueKind.Number => Number(element.GetRawText()),
        _ => FromNode(element.ValueKind == JsonValueKind.Object ? JsonObject.Create(element) : JsonArray.Create(element)),
    };

    private static Value Number(string raw)
    {
        if (raw.AsSpan().IndexOfAny(".eE") < 0 && long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long integer))
        {
            return IntValue.Of(integer);
        }

        return new FloatValue(double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture));
    }
}
