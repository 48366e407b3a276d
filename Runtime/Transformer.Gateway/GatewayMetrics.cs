using Prometheus;
using Yarp.ReverseProxy.Model;

namespace Transformer.Gateway;

/// <summary>
/// The gateway's Prometheus metrics, per replica (labelled by its URL): requests forwarded (retries included),
/// how the replica was chosen when there was a choice (affinity: the prefix's own replica; spilled: the next on
/// the ring, its own being full; least_requests: no prefix), failures by YARP's error kind, retries, streams cut by a failing replica, and health
/// as the gateway sees it.
/// </summary>
internal sealed class GatewayMetrics
{
    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private readonly Counter _forwarded;
    private readonly Counter _picks;
    private readonly Counter _failures;
    private readonly Counter _retries;
    private readonly Counter _cutStreams;

    public GatewayMetrics(Func<IEnumerable<DestinationState>> destinations)
    {
        var factory = Metrics.WithCustomRegistry(_registry);
        _forwarded = factory.CreateCounter("transformer_gateway_requests_total", "Requests forwarded to a replica (each attempt of a retried request counts)", ["replica"]);
        _picks = factory.CreateCounter("transformer_gateway_routing_total", "Replicas chosen among several, by how: affinity (the prefix's own), spilled (the next on the ring; its own was full), least_requests (no prefix, or routing by load only)", ["replica", "choice"]);
        _failures = factory.CreateCounter("transformer_gateway_failures_total", "Forwarded requests that failed at a replica, by error", ["replica", "error"]);
        _retries = factory.CreateCounter("transformer_gateway_retries_total", "Requests sent again to another replica after failing before any byte was sent back");
        _cutStreams = factory.CreateCounter("transformer_gateway_cut_streams_total", "Event streams whose replica failed mid-stream, ended with an error event");
        var healthy = factory.CreateGauge("transformer_gateway_replica_available", "1 while the replica takes requests (not failed by health checks), else 0", ["replica"]);
        var inFlight = factory.CreateGauge("transformer_gateway_replica_in_flight", "Requests in flight at the replica", ["replica"]);
        _registry.AddBeforeCollectCallback(() =>
        {
            foreach (var d in destinations())
            {
                string replica = Label(d);
                bool down = d.Health.Active == DestinationHealth.Unhealthy || d.Health.Passive == DestinationHealth.Unhealthy;
                healthy.WithLabels(replica).Set(down ? 0 : 1);
                inFlight.WithLabels(replica).Set(d.ConcurrentRequestCount);
            }
        });
    }

    public void CountPick(DestinationState destination, string choice) => _picks.WithLabels(Label(destination), choice).Inc();

    public void CountForwarded(DestinationState destination) => _forwarded.WithLabels(Label(destination)).Inc();

    public void CountFailure(DestinationState destination, string error) => _failures.WithLabels(Label(destination), error).Inc();

    public void CountRetry() => _retries.Inc();

    public void CountCutStream() => _cutStreams.Inc();

    public Task WriteAsync(Stream destination, CancellationToken cancellation) => _registry.CollectAndExportAsTextAsync(destination, cancellation);

    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private static string Label(DestinationState d) => d.Model?.Config.Address.TrimEnd('/') ?? d.DestinationId;
}
