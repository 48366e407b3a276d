using System.Text.Json;
using System.Text.Json.Nodes;
using Transformer.Server.Api;

namespace Transformer.Server.Prompts;

/// <summary>
/// Checks the shape of <c>messages</c> that every template relies on before it is rendered: a non-empty
/// array of objects whose roles are OpenAI's. A template would render an unknown role as text, which
/// hides a client's mistake; OpenAI refuses it, and so does this server.
/// </summary>
internal static class ChatMessages
{
    /// <summary>OpenAI's roles ("developer" is its newer name for "system"; "function" its older tool role).</summary>
    public static readonly IReadOnlySet<string> Roles = new HashSet<string>(StringComparer.Ordinal) { "system", "developer", "user", "assistant", "tool", "function" };

    public static void Check(JsonObject body)
    {
        if (body["messages"] is not { } node) throw ApiException.InvalidField("messages", "'messages' is required");
        if (node is not JsonArray messages) throw ApiException.InvalidField("messages", "'messages' must be an array of messages");
        if (messages.Count == 0) throw ApiException.InvalidField("messages", "'messages' must hold at least one message");
        for (int i = 0; i < messages.Count; i++)
        {
            string field = $"messages[{i}]";
            if (messages[i] is not JsonObject message) throw ApiException.InvalidField(field, $"'{field}' must be an object");
            if (message["role"] is not JsonValue role || role.GetValueKind() != JsonValueKind.String)
                throw ApiException.InvalidField($"{field}.role", $"'{field}.role' is required and must be a string");
            string name = role.GetValue<string>();
            if (!Roles.Contains(name))
                throw ApiException.InvalidField($"{field}.role", $"'{field}.role' is '{Quote.Clip(name)}'; it must be one of {string.Join(", ", Roles)}");
        }
    }
}
