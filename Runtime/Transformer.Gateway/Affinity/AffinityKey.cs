using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Transformer.Gateway.Affinity;

/// <summary>
/// The part of a completion request that decides its replica: what its replicas' prefix caches can share.
/// For chat, the leading system (or developer) messages, which every conversation of an application repeats;
/// without one, the first message, so a conversation's turns stay together. For legacy completions, the
/// start of the prompt. Cut to a number of characters and hashed to 64 bits.
/// </summary>
internal static class AffinityKey
{
    private const string ItemKey = "transformer.affinity";

    /// <summary>The key found for this request, or null (no body, not JSON, not a completion).</summary>
    public static ulong? Of(HttpContext context) => context.Items.TryGetValue(ItemKey, out var key) ? (ulong?)key : null;

    /// <summary>Reads a completion body (kept for the proxy to send) and records its key.</summary>
    public static async Task ReadAsync(HttpContext context, int prefixChars, long maxBodyBytes)
    {
        var request = context.Request;
        // A body without a length (chunked) is not read ahead: it could be of any size.
        if (!HttpMethods.IsPost(request.Method) || request.ContentLength is not { } length || length > maxBodyBytes) return;
        bool chat = request.Path.StartsWithSegments("/v1/chat/completions");
        if (!chat && !request.Path.StartsWithSegments("/v1/completions")) return;
        request.EnableBuffering();
        try
        {
            using var document = await JsonDocument.ParseAsync(request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false);
            string? text = chat ? ChatPrefix(document.RootElement) : PromptPrefix(document.RootElement);
            if (text is not null) context.Items[ItemKey] = Hash(text.Length > prefixChars ? text[..prefixChars] : text);
        }
        catch (JsonException)
        {
            // Not JSON: the replica answers it with a 400; no affinity to find.
        }
        finally
        {
            request.Body.Position = 0;
        }
    }

    public static ulong Hash(string text) => BinaryPrimitives.ReadUInt64LittleEndian(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static string? ChatPrefix(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
            return null;
        var prefix = new StringBuilder();
        foreach (var message in messages.EnumerateArray())
        {
            string role = message.ValueKind == JsonValueKind.Object && message.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : "";
            if (role is not ("system" or "developer")) break;
            Append(prefix, role, message);
        }
        if (prefix.Length == 0) Append(prefix, "first", messages[0]);
        return prefix.ToString();
    }

    private static void Append(StringBuilder prefix, string role, JsonElement message)
    {
        prefix.Append(role).Append('\n');
        if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty("content", out var content)) return;
        if (content.ValueKind == JsonValueKind.String) prefix.Append(content.GetString());
        else if (content.ValueKind == JsonValueKind.Array)
        {
            foreach (var part in content.EnumerateArray())
                if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String) prefix.Append(t.GetString());
        }
        prefix.Append('\n');
    }

    private static string? PromptPrefix(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("prompt", out var prompt)) return null;
        // A list of prompts is keyed by its first; token ids by their raw JSON text.
        if (prompt.ValueKind == JsonValueKind.Array && prompt.GetArrayLength() > 0 && prompt[0].ValueKind is JsonValueKind.String or JsonValueKind.Array) prompt = prompt[0];
        return prompt.ValueKind switch
        {
            JsonValueKind.String => prompt.GetString(),
            JsonValueKind.Array => prompt.GetRawText(),
            _ => null,
        };
    }
}
