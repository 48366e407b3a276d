using System.Text.Json;
using System.Text.Json.Serialization;
using Transformer.Server.Generation;

namespace Transformer.Server.Caching;

/// <summary>
/// A finished response as the cache keeps it: the events of its choices in the order they were produced (text
/// with its tokens and log-probabilities, and each choice's finish reason) and its token counts. Replaying the
/// events through the endpoint's response shape gives the whole JSON or the SSE stream alike.
/// </summary>
internal sealed record CachedResponse(int PromptTokens, int CompletionTokens, IReadOnlyList<CachedEvent> Events)
{
    public static CachedResponse From(int promptTokens, int completionTokens, IEnumerable<ChoiceEvent> events) =>
        new(promptTokens, completionTokens, [.. events.Select(e => new CachedEvent(e.Index, e.Text, e.Tokens, e.FinishReason))]);

    public byte[] Serialize() => JsonSerializer.SerializeToUtf8Bytes(this, CacheJsonContext.Default.CachedResponse);

    /// <summary>The response, or null when the bytes are not one (an entry written by another version).</summary>
    public static CachedResponse? Deserialize(byte[] bytes)
    {
        try
        {
            return JsonSerializer.Deserialize(bytes, CacheJsonContext.Default.CachedResponse);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>One event of a choice.</summary>
internal sealed record CachedEvent(int Index, string Text, IReadOnlyList<TextToken> Tokens, string? FinishReason)
{
    public ChoiceEvent ToChoiceEvent() => new(Index, Text, Tokens) { FinishReason = FinishReason };
}

/// <summary>Source-generated JSON for cache entries; log-probabilities of impossible tokens are -Infinity, which plain JSON cannot hold.</summary>
[JsonSourceGenerationOptions(NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(CachedResponse))]
internal sealed partial class CacheJsonContext : JsonSerializerContext;
