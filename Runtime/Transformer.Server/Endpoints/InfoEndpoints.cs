using Microsoft.AspNetCore.Http;
using Transformer.Server.Api;
using Transformer.Server.Metrics;

namespace Transformer.Server.Endpoints;

/// <summary>GET /v1/models, /health and /metrics.</summary>
internal static class InfoEndpoints
{
    public static Task ModelsAsync(HttpContext context, ServerContext server)
    {
        var list = new ModelList([Card(server)]);
        return context.Response.WriteAsJsonAsync(list, ServerJsonContext.Api.ModelList, contentType: "application/json", context.RequestAborted);
    }

    private static ModelCard Card(ServerContext server)
    {
        if (server.Host.Encoder is { } encoder) return new ModelCard(encoder.Id, encoder.Created, "transformer", encoder.Embedder.MaxTokens);
        var model = server.Host.Require();
        return new ModelCard(model.Id, model.Created, "transformer", model.ContextLength);
    }

    /// <summary>200 once the model serves; 503 while it loads, or with the reason it failed to load.</summary>
    public static Task HealthAsync(HttpContext context, ServerContext server)
    {
        var (status, body) = server.Host.IsReady ? (StatusCodes.Status200OK, new HealthStatus("ok", null))
            : server.Host.Failure is { } failure ? (StatusCodes.Status503ServiceUnavailable, new HealthStatus("failed", Quote.Clip(failure.Message)))
            : (StatusCodes.Status503ServiceUnavailable, new HealthStatus("loading", null));
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(body, ServerJsonContext.Api.HealthStatus, contentType: "application/json", context.RequestAborted);
    }

    public static async Task MetricsAsync(HttpContext context, ServerContext server)
    {
        context.Response.ContentType = ServerMetrics.ContentType;
        await server.Metrics.WriteAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
    }
}
