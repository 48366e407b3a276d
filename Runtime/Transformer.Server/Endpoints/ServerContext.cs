using Transformer.ResponseCache;
using Transformer.Server.Api;
using Transformer.Server.Hosting;
using Transformer.Server.Metrics;

namespace Transformer.Server.Endpoints;

/// <summary>What every endpoint needs: the model host, the metrics, the settings and the response cache (null when off).</summary>
internal sealed record ServerContext(ModelHost Host, ServerMetrics Metrics, ServerOptions Options, ResponseCacheStore? Cache)
{
    /// <summary>The model, checking that a request naming one names it (404 otherwise). A request without a model uses the served one.</summary>
    public ServedModel ModelFor(string? requested)
    {
        var model = Host.Require();
        if (requested is not null && requested != model.Id) throw ApiException.ModelNotFound(requested);
        return model;
    }

    public static string NewId(string prefix) => prefix + Guid.NewGuid().ToString("N");
}
