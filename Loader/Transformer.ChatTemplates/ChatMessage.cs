using System.Text.Json.Nodes;

namespace Transformer.ChatTemplates;

/// <summary>
/// One message of a conversation, as a chat template sees it: a dict with <c>role</c> and <c>content</c>
/// (a string, or a list of <c>{"type": "text", "text": …}</c> parts), and, when set, <c>reasoning_content</c>,
/// <c>tool_calls</c> (OpenAI's shape: <c>{"id", "type": "function", "function": {"name", "arguments"}}</c>),
/// <c>name</c> and <c>tool_call_id</c>.
/// </summary>
public sealed record ChatMessage
{
    /// <summary>system, user, assistant, tool, …: passed to the template as given.</summary>
    public required string Role { get; init; }

    /// <summary>The text; ignored when <see cref="ContentParts"/> is set. Null with no parts renders as None.</summary>
    public string? Content { get; init; }

    /// <summary>Content as a list of text parts (templates such as Gemma 3's iterate over them).</summary>
    public IReadOnlyList<string>? ContentParts { get; init; }

    /// <summary>The tool calls of an assistant message.</summary>
    public IReadOnlyList<ChatToolCall>? ToolCalls { get; init; }

    /// <summary>The author's name (OpenAI's <c>name</c>), or the tool's name on a tool message.</summary>
    public string? Name { get; init; }

    /// <summary>On a tool result: the id of the call it answers.</summary>
    public string? ToolCallId { get; init; }

    /// <summary>An assistant's reasoning (Qwen3 and DeepSeek templates render it inside &lt;think&gt;).</summary>
    public string? ReasoningContent { get; init; }

    /// <summary>A system message.</summary>
    public static ChatMessage System(string content) => new() { Role = "system", Content = content };

    /// <summary>A user message.</summary>
    public static ChatMessage User(string content) => new() { Role = "user", Content = content };

    /// <summary>An assistant message.</summary>
    public static ChatMessage Assistant(string content) => new() { Role = "assistant", Content = content };

    /// <summary>The message as the template's dict (keys in the order role, content, reasoning_content, tool_calls, name, tool_call_id).</summary>
    public JsonObject ToJson()
    {
        var message = new JsonObject { ["role"] = Role };
        message["content"] = ContentParts is { } parts
            ? new JsonArray([.. parts.Select(text => (JsonNode)new JsonObject { ["type"] = "text", ["text"] = text })])
            : Content is null ? null : JsonValue.Create(Content);
        if (ReasoningContent is not null) message["reasoning_content"] = ReasoningContent;
        if (ToolCalls is not null) message["tool_calls"] = new JsonArray([.. ToolCalls.Select(c => (JsonNode)c.ToJson())]);
        if (Name is not null) message["name"] = Name;
        if (ToolCallId is not null) message["tool_call_id"] = ToolCallId;
        return message;
    }
}

/// <summary>A function call in an assistant message.</summary>
public sealed record ChatToolCall
{
    /// <summary>The call's id (OpenAI's <c>call_…</c>), if any.</summary>
    public string? Id { get; init; }

    /// <summary>The function's name.</summary>
    public required string Name { get; init; }

    /// <summary>
    /// The arguments as the client sent them: OpenAI clients send a JSON-encoded string, Hugging Face
    /// examples an object. Templates differ in which they expect (Qwen3 prints a string as is and an object
    /// through tojson).
    /// </summary>
    public JsonNode? Arguments { get; init; }

    /// <summary><c>{"id": …, "type": "function", "function": {"name": …, "arguments": …}}</c> (no id key without an id).</summary>
    public JsonObject ToJson()
    {
        var call = new JsonObject();
        if (Id is not null) call["id"] = Id;
        call["type"] = "function";
        call["function"] = new JsonObject { ["name"] = Name, ["arguments"] = Arguments?.DeepClone() };
        return call;
    }
}
