using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Transformer.Server.Api;
using Transformer.Server.Endpoints;

namespace Transformer.Server.Hosting;

/// <summary>
/// Around every request: the API key check, the OpenAI-shaped answer to any <see cref="ApiException"/> (and
/// a 500 for anything unexpected), and the request count by endpoint and status.
/// </summary>
internal sealed class ApiMiddleware(RequestDelegate next, ServerContext server)
{
    private readonly byte[]? _apiKey = server.Options.ApiKey is { } key ? Encoding.UTF8.GetBytes(key) : null;

    public async Task InvokeAsync(HttpContext context)
    {
        // Bodies are limited by RequestBody instead (see there), which lets Kestrel drain an oversized one after the 413.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = null;
        try
        {
            if (_apiKey is not null && NeedsKey(context.Request.Path) && !HasKey(context.Request))
            {
                throw new ApiException(StatusCodes.Status401Unauthorized,
                    "missing or incorrect API key: send it as 'Authorization: Bearer KEY'", "invalid_request_error", "invalid_api_key");
            }
            await next(context).ConfigureAwait(false);
        }
        catch (ApiException e) when (!context.Response.HasStarted)
        {
            await ApiErrors.WriteAsync(context, e).ConfigureAwait(false);
        }
        catch (Exception) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client left (a write to it failed or a wait was cancelled): nobody to answer.
        }
        catch (Exception e) when (!context.Response.HasStarted && e is not ApiException)
        {
            await ApiErrors.WriteAsync(context, ApiErrors.Internal(e)).ConfigureAwait(false);
        }
        finally
        {
            string endpoint = context.GetEndpoint() is RouteEndpoint route ? route.RoutePattern.RawText ?? "other" : "other";
            server.Metrics.CountRequest(endpoint, context.Response.StatusCode);
        }
    }

    /// <summary>The API and the tokenizer endpoints; /health and /metrics stay open for probes and scrapers.</summary>
    private static bool NeedsKey(PathString path) =>
        path.StartsWithSegments("/v1") || path.StartsWithSegments("/tokenize") || path.StartsWithSegments("/detokenize");

    private bool HasKey(HttpRequest request)
    {
        string? header = request.Headers.Authorization;
        const string scheme = "Bearer ";
        if (header is null || !header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return false;
        byte[] given = Encoding.UTF8.GetBytes(header[scheme.Length..].Trim());
        return CryptographicOperations.FixedTimeEquals(given, _apiKey);
    }
}
