using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Transformer.Gateway.Proxy;

/// <summary>
/// Passive failure detection: a replica that could not be reached, or that broke off a response, is left out at
/// once for the reactivation period, without waiting for the next /health probe or for a failure rate over many
/// requests (YARP's own policy needs a window of requests, which a small fleet does not see in seconds).
/// </summary>
internal sealed class FailedRequestHealthPolicy(IDestinationHealthUpdater health, GatewayOptions options, GatewayMetrics metrics) : IPassiveHealthCheckPolicy
{
    public const string PolicyName = "FailedRequest";

    public string Name => PolicyName;

    public void RequestProxied(HttpContext context, ClusterState cluster, DestinationState destination)
    {
        // Called for every forwarded request, so it is also where they are counted per replica.
        metrics.CountForwarded(destination);
        if (context.Features.Get<IForwarderErrorFeature>() is not { } failure) return;
        metrics.CountFailure(destination, failure.Error.ToString());
        // Errors of the client's own side (it left, it sent a broken body) say nothing about the replica.
        if (failure.Error is ForwarderError.Request or ForwarderError.RequestTimedOut or ForwarderError.ResponseBodyDestination or ForwarderError.RequestBodyDestination)
            health.SetPassive(cluster, destination, DestinationHealth.Unhealthy, options.ReactivationPeriod);
    }
}
