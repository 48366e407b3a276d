using Microsoft.AspNetCore.Http;

namespace Transformer.Server.Api;

/// <summary>
/// A request the server answers with an OpenAI-shaped error, <c>{"error": {"message", "type", "param", "code"}}</c>.
/// Thrown anywhere while a request is read or checked; the endpoint turns it into the response.
/// </summary>
public sealed class ApiException(int status, string message, string type, string? code = null, string? param = null)
    : Exception(message)
{
    /// <summary>The HTTP status.</summary>
    public int Status { get; } = status;

    /// <summary>OpenAI's error type: <c>invalid_request_error</c>, <c>authentication_error</c>, ….</summary>
    public string Type { get; } = type;

    /// <summary>A machine-readable code such as <c>context_length_exceeded</c>, or null.</summary>
    public string? Code { get; } = code;

    /// <summary>The request field at fault (<c>messages[2].role</c>), or null.</summary>
    public string? Param { get; } = param;

    /// <summary>Seconds to wait before retrying, sent as <c>Retry-After</c>; null sends none.</summary>
    public int? RetryAfterSeconds { get; init; }

    /// <summary>400: a field is missing, has the wrong type or is out of range.</summary>
    public static ApiException InvalidField(string param, string message) =>
        new(StatusCodes.Status400BadRequest, message, "invalid_request_error", "invalid_request_error", param);

    /// <summary>400: the request as a whole is malformed (not JSON, not an object).</summary>
    public static ApiException InvalidBody(string message) =>
        new(StatusCodes.Status400BadRequest, message, "invalid_request_error", "invalid_request_error");

    /// <summary>400: the prompt, or the prompt with the tokens asked for, does not fit the model's context.</summary>
    public static ApiException ContextLengthExceeded(string message, string param) =>
        new(StatusCodes.Status400BadRequest, message, "invalid_request_error", "context_length_exceeded", param);

    /// <summary>404: the request names a model this server does not serve.</summary>
    public static ApiException ModelNotFound(string model) =>
        new(StatusCodes.Status404NotFound, $"The model '{Quote.Clip(model)}' does not exist; this server serves one model (see GET /v1/models)",
            "invalid_request_error", "model_not_found", "model");

    /// <summary>503: the model is still loading (or failed to load).</summary>
    public static ApiException Unavailable(string message) =>
        new(StatusCodes.Status503ServiceUnavailable, message, "server_error", "model_not_ready") { RetryAfterSeconds = 1 };
}
