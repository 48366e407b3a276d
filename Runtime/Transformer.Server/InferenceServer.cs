using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Transformer.ResponseCache;
using Transformer.Server.Api;
using Transformer.Server.Caching;
using Transformer.Server.Endpoints;
using Transformer.Server.Hosting;
using Transformer.Server.Metrics;

namespace Transformer.Server;

/// <summary>
/// An OpenAI-compatible HTTP server (Kestrel, minimal APIs) over one model and its <see cref="Serving.Scheduler"/>:
/// <c>/v1/chat/completions</c>, <c>/v1/completions</c>, <c>/v1/models</c>, <c>/tokenize</c>, <c>/detokenize</c>,
/// <c>/v1/embeddings</c> (when the model is an encoder, which then answers only it and the info endpoints),
/// <c>/health</c> and <c>/metrics</c>. It listens first and loads the model in the background, so /health
/// answers 503 until the model serves. Results at temperature 0 or with a seed do not depend on what else runs.
/// </summary>
/// <example>
/// <code>
/// await using var server = InferenceServer.Create(new ServerOptions { ModelPath = "models/stories260K", Port = 8080 });
/// await server.StartAsync();
/// await server.ModelLoaded;          // optional: requests before this get 503
/// await server.WaitForShutdownAsync();
/// </code>
/// </example>
public sealed class InferenceServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ModelHost _host;
    private readonly ServerOptions _options;
    private readonly ResponseCacheStore? _cache;

    private InferenceServer(WebApplication app, ModelHost host, ServerOptions options, ResponseCacheStore? cache)
    {
        _app = app;
        _host = host;
        _options = options;
        _cache = cache;
    }

    /// <summary>Builds the server (nothing listens or loads until <see cref="StartAsync"/>).</summary>
    /// <exception cref="ArgumentException">A setting is out of range (the message names it).</exception>
    public static InferenceServer Create(ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var host = new ModelHost(options);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // A failure to start (a port in use) surfaces as the exception from StartAsync; the host's own log
        // line with its stack trace would only repeat it.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.Critical);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.WebHost.UseUrls($"http://{UrlHost(options.Host)}:{options.Port}");
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes);
        if (options.ResponseCache is { } cacheOptions) builder.Services.AddTransformerResponseCache(cacheOptions);
        var app = builder.Build();
        var cache = options.ResponseCache is null ? null : app.Services.GetRequiredService<ResponseCacheStore>();
        var metrics = new ServerMetrics(() => host.Current?.Scheduler.Snapshot, cache);
        var server = new ServerContext(host, metrics, options, cache);

        app.UseMiddleware<ApiMiddleware>(server);
        app.MapPost("/v1/chat/completions", context => ChatCompletionsEndpoint.HandleAsync(context, server));
        app.MapPost("/v1/completions", context => CompletionsEndpoint.HandleAsync(context, server));
        app.MapPost("/v1/embeddings", context => EmbeddingsEndpoint.HandleAsync(context, server));
        app.MapGet("/v1/models", context => InfoEndpoints.ModelsAsync(context, server));
        app.MapPost("/tokenize", context => TokenizeEndpoints.TokenizeAsync(context, server));
        app.MapPost("/detokenize", context => TokenizeEndpoints.DetokenizeAsync(context, server));
        app.MapGet("/health", context => InfoEndpoints.HealthAsync(context, server));
        app.MapGet("/metrics", context => InfoEndpoints.MetricsAsync(context, server));
        app.MapFallback(context => throw new ApiException(StatusCodes.Status404NotFound,
            $"no endpoint {context.Request.Method} {Quote.Clip(context.Request.Path.Value ?? "")}", "invalid_request_error", "unknown_url"));

        // Loading starts once Kestrel listens; stopping ends open requests at once instead of after the shutdown timeout.
        app.Lifetime.ApplicationStarted.Register(host.StartLoading);
        app.Lifetime.ApplicationStopping.Register(host.Dispose);
        return new InferenceServer(app, host, options, cache);
    }

    /// <summary>The address the server listens on (with the port it got when <see cref="ServerOptions.Port"/> was 0); set by <see cref="StartAsync"/>.</summary>
    public Uri BaseAddress { get; private set; } = new("http://unstarted.invalid/");

    /// <summary>Completes once the model is loaded and served; faults with the reason when loading failed.</summary>
    public Task ModelLoaded => _host.Loaded;

    /// <summary>The response cache's Redis tier (up, errors), or null when there is none.</summary>
    public RedisTierStatus? ResponseCacheRedis => _cache?.Redis;

    /// <summary>
    /// Computes the responses of the requests in a JSONL file (one OpenAI request body, or Batch API line, per
    /// line) and stores them in the response cache, by sending each to this server. Waits for the model.
    /// Requests are served as usual meanwhile.
    /// </summary>
    /// <exception cref="InvalidOperationException">The server has no response cache, or has not started.</exception>
    public async Task<PrecacheReport> PrecacheAsync(string requestsPath, IProgress<PrecacheProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(requestsPath);
        if (_cache is null) throw new InvalidOperationException("pre-caching needs the response cache (--response-cache memory|redis://HOST:PORT)");
        if (BaseAddress.Host == "unstarted.invalid") throw new InvalidOperationException("start the server before pre-caching");
        if (!File.Exists(requestsPath)) throw new FileNotFoundException($"{requestsPath}: no such requests file", requestsPath);
        await ModelLoaded.WaitAsync(cancellation).ConfigureAwait(false);
        // Loopback even when the server listens on every address.
        var self = new UriBuilder(BaseAddress) { Host = BaseAddress.Host is "0.0.0.0" or "[::]" ? "127.0.0.1" : BaseAddress.Host }.Uri;
        return await Precache.RunAsync(self, requestsPath, _options.ApiKey, progress, cancellation).ConfigureAwait(false);
    }

    /// <summary>Starts listening, then loads the model in the background.</summary>
    public async Task StartAsync(CancellationToken cancellation = default)
    {
        await _app.StartAsync(cancellation).ConfigureAwait(false);
        string address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address.EndsWith('/') ? address : address + "/");
    }

    /// <summary>Completes when the server stops (<see cref="StopAsync"/>, or the token).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellation = default) => _app.WaitForShutdownAsync(cancellation);

    /// <summary>Stops listening, ends open requests and releases the model.</summary>
    public Task StopAsync(CancellationToken cancellation = default) => _app.StopAsync(cancellation);

    /// <summary>Stops the server if it runs and releases everything.</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync().ConfigureAwait(false);
        _host.Dispose();
    }

    /// <summary>An IPv6 literal goes in brackets in a URL.</summary>
    private static string UrlHost(string host) => host.Contains(':') && !host.StartsWith('[') ? $"[{host}]" : host;
}
