using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Transformer.Server.Api;

/// <summary>Source-generated JSON for every body the server reads or writes (no reflection at run time).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ChatCompletionBody))]
[JsonSerializable(typeof(CompletionBody))]
[JsonSerializable(typeof(TokenizeBody))]
[JsonSerializable(typeof(EmbeddingsBody))]
[JsonSerializable(typeof(DetokenizeBody))]
[JsonSerializable(typeof(ChatCompletion))]
[JsonSerializable(typeof(ChatCompletionChunk))]
[JsonSerializable(typeof(TextCompletion))]
[JsonSerializable(typeof(ModelList))]
[JsonSerializable(typeof(TokenizeResult))]
[JsonSerializable(typeof(DetokenizeResult))]
[JsonSerializable(typeof(HealthStatus))]
[JsonSerializable(typeof(ErrorResponse))]
internal sealed partial class ServerJsonContext : JsonSerializerContext
{
    /// <summary>
    /// The context the server uses: as <see cref="Default"/>, but text is written as UTF-8 with only what JSON
    /// requires escaped (no \u0022 for a quote, no \uXXXX for every non-ASCII letter), as OpenAI's API writes it.
    /// Nothing here is embedded in HTML, which is what the default escaping guards against.
    /// </summary>
    public static ServerJsonContext Api { get; } = new(new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}
