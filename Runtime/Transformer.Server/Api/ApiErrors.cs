using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Transformer.Server.Api;

/// <summary>Writes OpenAI-shaped error responses.</summary>
internal static class ApiErrors
{
    public static ErrorResponse Body(ApiException e) => new(new ErrorBody(e.Message, e.Type, e.Param, e.Code));

    public static async Task WriteAsync(HttpContext context, ApiException e)
    {
        var response = context.Response;
        response.StatusCode = e.Status;
        if (e.RetryAfterSeconds is { } seconds) response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        if (e.Status == StatusCodes.Status401Unauthorized) response.Headers.WWWAuthenticate = "Bearer";
        await response.WriteAsJsonAsync(Body(e), ServerJsonContext.Api.ErrorResponse, contentType: "application/json", context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>An unexpected failure, as a 500 that says what went wrong without a stack trace.</summary>
    public static ApiException Internal(Exception e) =>
        new(StatusCodes.Status500InternalServerError, $"internal error: {Quote.Clip(e.Message)}", "server_error", "internal_error");
}
