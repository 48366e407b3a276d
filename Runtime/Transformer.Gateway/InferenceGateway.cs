using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Transformer.Gateway.Affinity;
using Transformer.Gateway.Proxy;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Transformer.Gateway;

/// <summary>
/// A gateway (YARP) in front of Transformer server replicas: every request but its own /health and /metrics is
/// forwarded to a replica chosen by prompt prefix (<see cref="PrefixAffinityPolicy"/>). Replicas are probed on
/// /health and left out after a failed request; a request whose replica failed before answering is sent to
/// another; streams pass through as they are written, and one whose replica dies ends with an error event.
/// </summary>
public sealed class InferenceGateway : IAsyncDisposable
{
    private const string ClusterId = "replicas";
    private readonly WebApplication _app;

    private InferenceGateway(WebApplication app) => _app = app;

    /// <summary>The address the gateway listens on; set by <see cref="StartAsync"/>.</summary>
    public Uri BaseAddress { get; private set; } = new("http://unstarted.invalid/");

    /// <summary>Builds the gateway (nothing listens until <see cref="StartAsync"/>).</summary>
    /// <exception cref="ArgumentException">A setting is out of range (the message names it).</exception>
    public static InferenceGateway Create(GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.Critical);
        // YARP logs every failed forward as a warning; the gateway's metrics count them instead.
        builder.Logging.AddFilter("Yarp.ReverseProxy.Forwarder", LogLevel.Error);
        // A failed /health probe is logged with its stack trace at every interval; the replica_available metric says it once.
        builder.Logging.AddFilter("Yarp.ReverseProxy.Health", LogLevel.Error);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.WebHost.UseUrls($"http://{(options.Host.Contains(':') && !options.Host.StartsWith('[') ? $"[{options.Host}]" : options.Host)}:{options.Port}");
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = null);

        // YARP needs data protection only for session-affinity cookies, which this gateway does not use: keep
        // its keys in memory rather than writing them to the user's profile.
        builder.Services.AddDataProtection().UseEphemeralDataProtectionProvider();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(provider => new GatewayMetrics(() => Destinations(provider)));
        builder.Services.AddSingleton<ILoadBalancingPolicy, PrefixAffinityPolicy>();
        builder.Services.AddSingleton<IPassiveHealthCheckPolicy, FailedRequestHealthPolicy>();
        builder.Services.AddReverseProxy().LoadFromMemory([Route()], [Cluster(options)]);
        // Probes run on this interval and timeout (per-cluster settings are set too; these are the defaults behind them).
        builder.Services.Configure<ActiveHealthCheckMonitorOptions>(o =>
        {
            o.DefaultInterval = options.HealthCheckInterval;
            o.DefaultTimeout = options.HealthCheckTimeout;
        });
        var app = builder.Build();

        var metrics = app.Services.GetRequiredService<GatewayMetrics>();
        app.MapGet("/health", context => HealthAsync(context, app.Services));
        app.MapGet("/metrics", async context =>
        {
            context.Response.ContentType = GatewayMetrics.ContentType;
            await metrics.WriteAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
        });
        app.MapReverseProxy(pipeline =>
        {
            pipeline.Use(async (context, next) =>
            {
                await AffinityKey.ReadAsync(context, options.AffinityPrefixChars, options.MaxAffinityBodyBytes).ConfigureAwait(false);
                await next().ConfigureAwait(false);
            });
            pipeline.Use((context, next) => StreamFailureEvent.InvokeAsync(context, next, metrics));
            pipeline.Use((context, next) => RetryBeforeFirstByte.InvokeAsync(context, next, metrics));
            pipeline.UseLoadBalancing();
            pipeline.UsePassiveHealthChecks();
        });
        return new InferenceGateway(app);
    }

    /// <summary>Starts listening and probing the replicas.</summary>
    public async Task StartAsync(CancellationToken cancellation = default)
    {
        await _app.StartAsync(cancellation).ConfigureAwait(false);
        string address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address.EndsWith('/') ? address : address + "/");
    }

    /// <summary>Completes when the gateway stops.</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellation = default) => _app.WaitForShutdownAsync(cancellation);

    /// <summary>Stops listening.</summary>
    public Task StopAsync(CancellationToken cancellation = default) => _app.StopAsync(cancellation);

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private static RouteConfig Route() => new()
    {
        RouteId = "api",
        ClusterId = ClusterId,
        // Everything but the gateway's own endpoints, which are mapped explicitly and so win over this catch-all.
        Match = new RouteMatch { Path = "/{**rest}" },
        Order = int.MaxValue,
    };

    private static ClusterConfig Cluster(GatewayOptions options) => new()
    {
        ClusterId = ClusterId,
        LoadBalancingPolicy = PrefixAffinityPolicy.PolicyName,
        Destinations = options.Replicas.Select((uri, i) => (uri, i))
            .ToDictionary(x => $"replica-{x.i}", x => new DestinationConfig { Address = x.uri.ToString() }, StringComparer.Ordinal),
        HealthCheck = new HealthCheckConfig
        {
            AvailableDestinationsPolicy = HealthCheckConstants.AvailableDestinations.HealthyAndUnknown,
            Active = new ActiveHealthCheckConfig
            {
                Enabled = true,
                Interval = options.HealthCheckInterval,
                Timeout = options.HealthCheckTimeout,
                Policy = HealthCheckConstants.ActivePolicy.ConsecutiveFailures,
                Path = "/health",
            },
            Passive = new PassiveHealthCheckConfig { Enabled = true, Policy = FailedRequestHealthPolicy.PolicyName, ReactivationPeriod = options.ReactivationPeriod },
        },
        // One failed probe is enough to leave a replica out: a replica that is loading answers 503 on purpose.
        Metadata = new Dictionary<string, string> { [ConsecutiveFailuresHealthPolicyOptions.ThresholdMetadataName] = "1" },
        HttpRequest = new ForwarderRequestConfig { ActivityTimeout = options.ActivityTimeout },
    };

    private static IEnumerable<DestinationState> Destinations(IServiceProvider services) =>
        services.GetRequiredService<IProxyStateLookup>().TryGetCluster(ClusterId, out var cluster) ? cluster.Destinations.Values : [];

    /// <summary>200 while some replica takes requests, else 503.</summary>
    private static Task HealthAsync(HttpContext context, IServiceProvider services)
    {
        bool any = Destinations(services).Any(d => d.Health.Active != DestinationHealth.Unhealthy && d.Health.Passive != DestinationHealth.Unhealthy);
        context.Response.StatusCode = any ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(any ? """{"status":"ok"}""" : """{"status":"no replica available"}""", context.RequestAborted);
    }
}
