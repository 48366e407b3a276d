using System.Text.Json.Serialization;

namespace Transformer.Server.Api;

/// <summary>Source-generated JSON for every body the server reads or writes (no reflection at run time).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ChatCompletionBody))]
[JsonSerializable(typeof(CompletionBody))]
[JsonSerializable(typeof(TokenizeBody))]
[JsonSerializable(typeof(DetokenizeBody))]
[JsonSerializable(typeof(ChatCompletion))]
[JsonSerializable(typeof(ChatCompletionChunk))]
[JsonSerializable(typeof(TextCompletion))]
[JsonSerializable(typeof(ModelList))]
[JsonSerializable(typeof(TokenizeResult))]
[JsonSerializable(typeof(DetokenizeResult))]
[JsonSerializable(typeof(HealthStatus))]
[JsonSerializable(typeof(ErrorResponse))]
internal sealed partial class ServerJsonContext : JsonSerializerContext;
