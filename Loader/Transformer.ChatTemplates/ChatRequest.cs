using System.Text.Json;
using System.Text.Json.Nodes;

namespace Transformer.ChatTemplates;

/// <summary>
/// The template inputs of an OpenAI chat completion request body: <c>messages</c>, <c>tools</c> and
/// <c>chat_template_kwargs</c> (vLLM's extension, e.g. <c>{"enable_thinking": false}</c>). Other fields of
/// the body are not read here.
/// </summary>
public sealed record ChatRequest
{
    /// <summary>The conversation.</summary>
    public required IReadOnlyList<ChatMessage> Messages { get; init; }

    /// <summary>The tool definitions as sent, or null when the request has none.</summary>
    public JsonArray? Tools { get; init; }

    /// <summary>Extra template variables, or null.</summary>
    public JsonObject? TemplateKwargs { get; init; }

    /// <summary>Parses a request body.</summary>
    /// <exception cref="ChatRequestException">The JSON is malformed or a field has the wrong shape; the message names the field.</exception>
    public static ChatRequest Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonNode? body;
        try
        {
            body = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = 128 });
        }
        catch (JsonException e)
        {
            throw new ChatRequestException("", $"not valid JSON: {e.Message}");
        }

        return FromJson(body);
    }

    /// <summary>Reads a parsed request body.</summary>
    /// <exception cref="ChatRequestException">A field is missing or has the wrong shape; the message names the field.</exception>
    public static ChatRequest FromJson(JsonNode? body)
    {
        if (body is not JsonObject request) throw new ChatRequestException("", $"the request body must be a JSON object, not {Kind(body)}");
        JsonNode? tools = request["tools"];
        if (tools is not (null or JsonArray)) throw new ChatRequestException("tools", $"must be an array, not {Kind(tools)}");
        if (tools is JsonArray toolList)
        {
            for (int i = 0; i < toolList.Count; i++)
            {
                if (toolList[i] is not JsonObject) throw new ChatRequestException($"tools[{i}]", $"must be an object, not {Kind(toolList[i])}");
            }
        }

        JsonNode? kwargs = request["chat_template_kwargs"];
        if (kwargs is not (null or JsonObject)) throw new ChatRequestException("chat_template_kwargs", $"must be an object, not {Kind(kwargs)}");
        return new ChatRequest
        {
            Messages = ParseMessages(request["messages"]),
            Tools = (JsonArray?)tools?.DeepClone(),
            TemplateKwargs = (JsonObject?)kwargs?.DeepClone(),
        };
    }

    /// <summary>
    /// Reads OpenAI-style messages. Content may be a string, a list of text parts, or null/absent (an
    /// assistant message that only calls tools), which becomes "" as vLLM makes it, so templates that
    /// test or trim the content work. Only text parts are accepted: this engine reads no images or audio.
    /// </summary>
    /// <exception cref="ChatRequestException">A message is malformed; the message names it (<c>messages[2].role</c>).</exception>
    public static IReadOnlyList<ChatMessage> ParseMessages(JsonNode? messages)
    {
        if (messages is null) throw new ChatRequestException("messages", "is required");
        if (messages is not JsonArray list) throw new ChatRequestException("messages", $"must be an array, not {Kind(messages)}");
        if (list.Count == 0) throw new ChatRequestException("messages", "must hold at least one message");
        var parsed = new List<ChatMessage>(list.Count);
        for (int i = 0; i < list.Count; i++) parsed.Add(ParseMessage(list[i], $"messages[{i}]"));
        return parsed;
    }

    private static ChatMessage ParseMessage(JsonNode? node, string field)
    {
        if (node is not JsonObject message) throw new ChatRequestException(field, $"must be an object, not {Kind(node)}");
        string role = RequiredString(message, "role", field);
        if (role.Length == 0) throw new ChatRequestException($"{field}.role", "must not be empty");
        JsonNode? content = message["content"];
        IReadOnlyList<string>? parts = null;
        string? text = null;
        switch (content)
        {
            case null:
                text = "";
                break;
            case JsonArray array:
                parts = [.. array.Select((part, j) => TextPart(part, $"{field}.content[{j}]"))];
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                text = value.GetValue<string>();
                break;
            default:
                throw new ChatRequestException($"{field}.content", $"must be a string, a list of text parts or null, not {Kind(content)}");
        }

        return new ChatMessage
        {
            Role = role,
            Content = text,
            ContentParts = parts,
            ToolCalls = message["tool_calls"] is { } calls ? ParseToolCalls(calls, $"{field}.tool_calls") : null,
            Name = OptionalString(message, "name", field),
            ToolCallId = OptionalString(message, "tool_call_id", field),
            ReasoningContent = OptionalString(message, "reasoning_content", field),
        };
    }

    private static string TextPart(JsonNode? node, string field)
    {
        if (node is not JsonObject part) throw new ChatRequestException(field, $"must be an object, not {Kind(node)}");
        string type = RequiredString(part, "type", field);
        if (type != "text") throw new ChatRequestException($"{field}.type", $"only \"text\" parts are supported, not \"{Clip(type)}\"");
        return RequiredString(part, "text", field);
    }

    private static IReadOnlyList<ChatToolCall> ParseToolCalls(JsonNode node, string field)
    {
        if (node is not JsonArray calls) throw new ChatRequestException(field, $"must be an array, not {Kind(node)}");
        var parsed = new List<ChatToolCall>();
        for (int i = 0; i < calls.Count; i++)
        {
            string callField = $"{field}[{i}]";
            if (calls[i] is not JsonObject call) throw new ChatRequestException(callField, $"must be an object, not {Kind(calls[i])}");
            string? type = OptionalString(call, "type", callField);
            if (type is not (null or "function")) throw new ChatRequestException($"{callField}.type", $"must be \"function\", not \"{Clip(type)}\"");
            if (call["function"] is not JsonObject function) throw new ChatRequestException($"{callField}.function", $"must be an object, not {Kind(call["function"])}");
            parsed.Add(new ChatToolCall
            {
                Id = OptionalString(call, "id", callField),
                Name = RequiredString(function, "name", $"{callField}.function"),
                Arguments = function["arguments"]?.DeepClone(),
            });
        }

        return parsed;
    }

    private static string RequiredString(JsonObject obj, string name, string field) =>
        OptionalString(obj, name, field) ?? throw new ChatRequestException($"{field}.{name}", "is required");

    private static string? OptionalString(JsonObject obj, string name, string field) => obj[name] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        var other => throw new ChatRequestException($"{field}.{name}", $"must be a string, not {Kind(other)}"),
    };

    private static string Kind(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray => "an array",
        _ => node.GetValueKind() switch
        {
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            _ => "a boolean",
        },
    };

    private static string Clip(string? text) => text is { Length: > 40 } ? text[..40] + "…" : text ?? "";
}

/// <summary>A chat request whose messages, tools or template arguments have the wrong shape (HTTP 400 in a server).</summary>
public sealed class ChatRequestException : FormatException
{
    /// <summary>Creates the exception for <paramref name="field"/> (empty for the whole body).</summary>
    public ChatRequestException(string field, string problem)
        : base(field.Length == 0 ? problem : $"{field} {problem}")
    {
        Field = field;
    }

    /// <summary>The offending field, e.g. <c>messages[2].content</c>; empty when it is the body itself.</summary>
    public string Field { get; }
}
